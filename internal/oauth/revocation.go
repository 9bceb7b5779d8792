package oauth

import (
	"net/http"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// revocation is the revocation endpoint (RFC 7009). Revoking a refresh
// token revokes its whole grant, which is how a compromised client is stopped
// from getting new tokens. Access tokens are self-contained JWTs and cannot
// be revoked: they answer unsupported_token_type (RFC 7009 §2.2.1) so the
// client learns to revoke the refresh token instead.
func (s *Server) revocation(w http.ResponseWriter, r *http.Request) error {
	form, client, err := s.clientRequest(w, r, PathRevocation)
	if err != nil {
		return err
	}
	tok := form.Get("token")
	if tok == "" {
		return oautherr.New(oautherr.InvalidRequest, "the token parameter is missing")
	}
	noStore(w)
	// token_type_hint is only a hint (RFC 7009 §2.1): the token's own shape decides.
	if strings.HasPrefix(tok, mint.RefreshPrefix) {
		if _, err := s.Refresh.Revoke(r.Context(), tok, client.ID); err != nil {
			return oautherr.Server(err)
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if _, err := s.Minter.VerifyAccessToken(tok, s.Now()); err == nil {
		return oautherr.New(oautherr.UnsupportedTokenType, "access tokens cannot be revoked: they are short-lived JWTs that expire on their own; revoke the refresh token to stop new access tokens")
	}
	// RFC 7009 §2.2: an invalid or unknown token is not an error.
	w.WriteHeader(http.StatusOK)
	return nil
}
