package grant

import (
	"context"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// clientCredentials is the client credentials grant (RFC 6749 §4.4): the
// client acts for itself, so there is no user, no ID token and never a
// refresh token (RFC 6749 §4.4.3, and HelseID's page).
func (h *Handler) clientCredentials(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	if c.Type != config.ClientConfidential {
		return nil, oautherr.New(oautherr.UnauthorizedClient, "the client_credentials grant is only for confidential clients")
	}
	if slices.Contains(req.Scope, ScopeOfflineAccess) {
		return nil, oautherr.New(oautherr.InvalidScope, "refresh tokens are never issued to the client_credentials grant; remove offline_access from scope")
	}
	if slices.Contains(req.Scope, ScopeOpenID) {
		return nil, oautherr.New(oautherr.InvalidScope, "the openid scope needs a signed-in user, and the client_credentials grant has none; remove openid from scope")
	}
	scopes, err := requestedScope(c, req)
	if err != nil {
		return nil, err
	}
	if !req.ScopeGiven {
		scopes = slices.DeleteFunc(scopes, func(s string) bool { return s == ScopeOpenID })
	}
	// RFC 8707 §2.2: a resource the client may ask for.
	tgt, err := forResource(c, req, scopes)
	if err != nil {
		return nil, err
	}
	return h.respond(ctx, issue{client: c, grantType: TypeClientCredentials, subject: c.ID, scopes: scopes, target: tgt}, nil)
}
