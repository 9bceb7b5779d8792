package refresh

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Errors of a grant bound to a DPoP key (store.Grant.DPoPJKT). The caller
// answers invalid_grant (RFC 9449 §5); nothing about the grant changes.
var (
	ErrProofRequired = errors.New("refresh token is bound to a DPoP key and no proof was sent")
	ErrWrongKey      = errors.New("refresh token is bound to another DPoP key")
)

// bound checks a live, unconsumed token's grant against the request's
// proof: a grant bound to a DPoP key is refreshed only with a proof by
// that key (RFC 9449 §5: "the refresh token is bound to the DPoP key";
// Tollgate binds confidential clients' grants too, see
// config.Client.BindsRefreshTokens). It runs before anything changes: a
// holder of a stolen token without the key is refused and the rightful
// client carries on with its own key. An unbound grant takes any proof, or
// none. (A consumed token within the grace window is the retry path's.)
func (s *Service) bound(ctx context.Context, g store.Grant, proof Proof) error {
	if g.DPoPJKT == "" {
		return nil
	}
	var err error
	switch {
	case proof.DPoPJKT == "":
		err = ErrProofRequired
	case subtle.ConstantTimeCompare([]byte(proof.DPoPJKT), []byte(g.DPoPJKT)) != 1:
		err = ErrWrongKey
	default:
		return nil
	}
	s.audit.LogAttrs(ctx, slog.LevelWarn, "refresh token presented without its DPoP key; refused, grant unchanged",
		slog.String("event", "refresh_token_dpop_mismatch"), slog.String("grant_id", g.ID),
		slog.String("client_id", g.ClientID), slog.Bool("proof_sent", proof.DPoPJKT != ""))
	return err
}
