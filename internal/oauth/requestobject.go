package oauth

import (
	"context"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/requestobject"
)

// Signed authorization requests (RFC 9101) at the authorization endpoint
// and at PAR (RFC 9126 §3). The verification is requestobject's; this file
// turns its answers into pages, redirects and JSON errors.

// newRequestObjects is the verifier the server uses: the client keys come
// through clientauth (inline jwks or jwks_uri), the jtis go to its store.
func newRequestObjects(d Deps, issuer string) *requestobject.Verifier {
	v := &requestobject.Verifier{Issuer: issuer, MaxLifetime: d.Config.RequestObject.MaxLifetime, Now: d.Now}
	if d.Auth != nil {
		v.Keys, v.JTI = d.Auth, d.Auth.JTI
	}
	return v
}

// authorizeRequestObject runs before anything else reads the parameters of
// an authorization request: a request object's parameters replace the
// request's (RFC 9101 §5). A pushed request (request_uri) went through
// pushedRequestObject when it was pushed, so it passes as it is.
// On failure, params is nil when the error must be a page (the client or
// its redirect URI cannot be trusted yet), else the parameters whose
// redirect_uri may carry the error once checked.
func (s *Server) authorizeRequestObject(ctx context.Context, p url.Values) (params url.Values, err error) {
	if uri := p.Get("request_uri"); uri != "" {
		if p.Has("request") {
			return nil, &authorize.PageError{Code: oautherr.InvalidRequest, Message: "send request or request_uri, not both (RFC 9101 §5)"}
		}
		return p, nil
	}
	c, ok := s.Clients.Client(p.Get("client_id"))
	if !ok {
		return p, nil // ParseClient shows the page for an unknown or missing client
	}
	if !p.Has("request") {
		return p, requestobject.Required(c, p)
	}
	params, err = s.requestObjects.Unwrap(ctx, c, p, false)
	if err != nil && !requestobject.Verified(params) {
		e := oautherr.As(err)
		return nil, &authorize.PageError{Code: e.Code, Message: e.Description}
	}
	return params, err
}

// requestObjectError answers a failed authorizeRequestObject: a page, or a
// redirect to the client once its redirect URI checks out.
func (s *Server) requestObjectError(params url.Values, err error) error {
	if params == nil {
		return onPage("", err)
	}
	c, redirectURI, perr := authorize.ParseClient(params, s.Clients)
	if perr != nil {
		return onPage(params.Get("ui_locales"), perr)
	}
	// Validate only for what the redirect needs (state, response mode);
	// the error to send is err.
	req, _ := authorize.Validate(params, c, redirectURI, false)
	return backToClient(req, err)
}

// pushedRequestObject unwraps a request object pushed by an authenticated
// client (RFC 9126 §3), or refuses an unsigned push from a client that
// must sign (require_signed_request_object).
func (s *Server) pushedRequestObject(ctx context.Context, c *config.Client, p url.Values) (url.Values, error) {
	if !p.Has("request") {
		return p, requestobject.Required(c, p)
	}
	return s.requestObjects.Unwrap(ctx, c, p, true)
}
