package oauth

import (
	"net/http"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// errMethod is the answer to a method an endpoint does not serve.
func errMethod(allowed string) error {
	return &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusMethodNotAllowed,
		Description: "this endpoint only accepts " + allowed}
}

// authenticate runs client authentication on a parsed form (RFC 6749 §2.3).
func (s *Server) authenticate(r *http.Request) (*config.Client, error) {
	creds, err := clientauth.FromRequest(r)
	if err != nil {
		return nil, err
	}
	return s.Auth.Authenticate(r.Context(), creds)
}

// token is the token endpoint (RFC 6749 §3.2): parse, authenticate the
// client, run the grant pipeline, answer JSON with no-store.
func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	form, err := postForm(w, r)
	if err != nil {
		return err
	}
	client, err := s.authenticate(r)
	if err != nil {
		return err
	}
	scope, given := scopeParam(form)
	resp, err := s.Grants.Exchange(r.Context(), grant.Request{
		GrantType:    form.Get("grant_type"),
		Client:       client,
		Scope:        scope,
		ScopeGiven:   given,
		Username:     form.Get("username"),
		Password:     form.Get("password"),
		RefreshToken: form.Get("refresh_token"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
	})
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusOK, resp)
	return nil
}
