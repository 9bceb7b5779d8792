package grant

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/authcode"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// authorizationCode redeems an authorization code (RFC 6749 §4.1.3); the
// hybrid flow redeems its code the same way (OIDC Core §3.3.3).
//
// The code is read first and every binding is checked before anything
// changes: the client it was issued to, its redirect_uri and its PKCE
// verifier. So a client holding a leaked or injected code that is not its
// own can neither burn it nor revoke what the rightful client got (RFC 9700
// §4.5, §2.1.1); it gets the same invalid_grant as for an unknown code.
// Only then is the code consumed, atomically, and a code that its own
// client presents a second time revokes what was issued from it (RFC 6749
// §4.1.2, §10.5).
func (h *Handler) authorizationCode(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	if req.Code == "" {
		return nil, oautherr.New(oautherr.InvalidRequest, "the code parameter is missing")
	}
	// One answer for a code that is unknown or another client's: neither
	// tells a stranger whether the code exists.
	invalid := oautherr.New(oautherr.InvalidGrant, "the authorization code is invalid, expired or already used")
	now := h.Now()
	// The code's life (its lookup, state and consumption) is authcode's;
	// who may present it is checked here, before it is used up.
	code, err := authcode.Find(ctx, h.Codes, req.Code)
	switch {
	case errors.Is(err, authcode.ErrUnknown):
		return nil, invalid
	case err != nil:
		return nil, oautherr.Server(err)
	}
	// RFC 6749 §4.1.3: the code must have been issued to the authenticated client.
	if code.ClientID != c.ID {
		h.Log.LogAttrs(ctx, slog.LevelWarn, "authorization code presented by another client",
			slog.String("event", "code_wrong_client"), slog.String("client_id", code.ClientID), slog.String("presented_by", c.ID))
		return nil, invalid
	}
	// RFC 6749 §4.1.3: redirect_uri must be identical to the one the code was issued for.
	if code.RedirectURI != "" && req.RedirectURI != code.RedirectURI {
		return nil, oautherr.New(oautherr.InvalidGrant, "redirect_uri does not match the one of the authorization request")
	}
	if err := verifyPKCE(code, req.CodeVerifier); err != nil {
		return nil, err
	}
	// RFC 9449 §10: a code bound to a DPoP key (dpop_jkt) is redeemed only
	// with a proof by that key; checked before the code is used up.
	if code.DPoPJKT != "" && code.DPoPJKT != req.DPoPJKT {
		return nil, oautherr.New(oautherr.InvalidGrant, "the authorization code is bound to a DPoP key (dpop_jkt); send a DPoP proof signed by that key (RFC 9449 §10)")
	}
	switch err := authcode.Usable(code, now); {
	case errors.Is(err, authcode.ErrReplayed):
		return h.codeReplay(ctx, c, code)
	case errors.Is(err, authcode.ErrExpired):
		return nil, oautherr.New(oautherr.InvalidGrant, "the authorization code has expired")
	}
	u, err := ActiveUser(ctx, h.Users, code.Subject)
	if err != nil {
		return nil, standingError(err, "authorization code")
	}
	// The scope was granted at the authorize endpoint; drop what the client has
	// lost since, and offline_access unless the client may still have it.
	scopes := slices.DeleteFunc(slices.Clone(code.Scopes), func(s string) bool {
		return !c.AllowsScope(s) || (s == ScopeOfflineAccess && !mayHaveRefreshToken(c, TypeAuthorizationCode, code.Scopes))
	})
	// RFC 8707 §2.2: a resource the code carries, checked before the code
	// is used up; the grant keeps every resource the code carries.
	resources := grantedResources(c, code.Resources)
	tgt, err := codeTarget(c, req, resources, scopes)
	if err != nil {
		return nil, err
	}
	// The grant id is recorded in the same write that consumes the code, so
	// a replay landing at any moment after it finds the family to revoke, or
	// tombstones the id if the grant is not created yet (store contract,
	// RevokeGrantOrTombstone). No refresh token, no grant, no id.
	grantID := ""
	if mayHaveRefreshToken(c, TypeAuthorizationCode, scopes) {
		grantID = refresh.NewGrantID()
	}
	consumed, err := authcode.Consume(ctx, h.Codes, code, now, grantID)
	switch {
	case errors.Is(err, authcode.ErrReplayed): // another redemption of it won the race
		return h.codeReplay(ctx, c, consumed)
	case errors.Is(err, authcode.ErrUnknown): // swept since it was read
		return nil, invalid
	case err != nil:
		return nil, oautherr.Server(err)
	}
	return h.respond(ctx, issue{
		client: c, grantType: TypeAuthorizationCode, subject: code.Subject, user: u, scopes: scopes,
		authTime: code.AuthTime, sessionID: code.SessionID, amr: code.AMR, nonce: code.Nonce, grantID: grantID,
		proof: req.proof(), target: tgt, resources: resources,
	}, nil)
}

// codeReplay answers a code presented again by its own client, with its
// redirect_uri and verifier (another client's presentation never gets
// here): RFC 6749 §4.1.2, deny it and revoke what was issued from it. The
// answer and the log line say what really happened: a grant revoked, one
// tombstoned before the first redemption created it (that redemption then
// issues nothing), one already revoked, or none to revoke because no
// refresh token was issued (the access token is a JWT that cannot be
// recalled; it expires within minutes).
func (h *Handler) codeReplay(ctx context.Context, c *config.Client, code store.AuthCode) (*Response, error) {
	outcome := "no_grant"
	desc := "the authorization code was already used"
	if code.GrantID != "" {
		out, err := h.Refresh.RevokeReplayed(ctx, code.GrantID, code.ClientID, code.Subject, refresh.PolicyFor(c))
		if err != nil {
			return nil, oautherr.Server(err)
		}
		outcome = out.String()
		switch out {
		case store.Revoked, store.Tombstoned:
			desc += "; the grant issued from it is now revoked and the user must sign in again"
		case store.AlreadyRevoked:
			desc += "; the grant issued from it was already revoked"
		}
	}
	h.Log.LogAttrs(ctx, slog.LevelWarn, "authorization code reuse detected",
		slog.String("event", "code_reuse"), slog.String("client_id", code.ClientID),
		slog.String("grant_id", code.GrantID), slog.String("outcome", outcome))
	return nil, oautherr.New(oautherr.InvalidGrant, "%s", desc)
}

// verifyPKCE checks the code_verifier against the code's challenge (RFC 7636
// §4.6; S256 only). A verifier sent for a code issued without a challenge is
// refused too: it means the two requests do not belong together (RFC 9700 §2.1.1).
func verifyPKCE(code store.AuthCode, verifier string) error {
	if code.CodeChallenge == "" {
		if verifier != "" {
			return oautherr.New(oautherr.InvalidGrant, "code_verifier was sent, but the authorization request had no code_challenge")
		}
		return nil
	}
	if verifier == "" {
		return oautherr.New(oautherr.InvalidGrant, "the code_verifier parameter is missing; the authorization request used PKCE")
	}
	if !validVerifier(verifier) {
		return oautherr.New(oautherr.InvalidGrant, "code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636 §4.1)")
	}
	if code.CodeChallengeMethod != "S256" {
		return oautherr.New(oautherr.InvalidGrant, "the code challenge method is not supported")
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(code.CodeChallenge)) != 1 {
		return oautherr.New(oautherr.InvalidGrant, "code_verifier does not match the code_challenge")
	}
	return nil
}

func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if !('A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~') {
			return false
		}
	}
	return true
}
