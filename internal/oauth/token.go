package oauth

import (
	"net/http"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
)

// errMethod is the answer to a method an endpoint does not serve.
func errMethod(allowed string) error {
	return &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusMethodNotAllowed,
		Description: "this endpoint only accepts " + allowed}
}

// clientRequest reads the form of a client's back-channel request and
// authenticates the client (RFC 6749 §2.3, §3.2): the first step of the
// token, revocation, introspection and PAR endpoints. path is the
// endpoint's own path (PathToken, PathPAR, ...): a client assertion is
// accepted only if its aud names the issuer or this endpoint (RFC 7523 §3
// item 3, see clientauth).
func (s *Server) clientRequest(w http.ResponseWriter, r *http.Request, path string) (url.Values, *config.Client, error) {
	form, c, _, err := s.clientRequestKey(w, r, path)
	return form, c, err
}

// clientRequestKey is clientRequest that also returns the RFC 7638
// thumbprint of the key a private_key_jwt client authenticated with ("" for
// the other methods).
func (s *Server) clientRequestKey(w http.ResponseWriter, r *http.Request, path string) (url.Values, *config.Client, string, error) {
	form, err := postForm(w, r)
	if err != nil {
		return nil, nil, "", err
	}
	creds, err := clientauth.FromRequest(r)
	if err != nil {
		return nil, nil, "", err
	}
	reqlog.SetClient(r.Context(), creds.ClientID) // claimed, for the access and error lines
	creds.Endpoint = s.endpointURL(path)
	c, key, err := s.Auth.AuthenticateKey(r.Context(), creds)
	if c != nil {
		reqlog.SetClient(r.Context(), c.ID) // private_key_jwt may name it only in the assertion
	}
	return form, c, key, err
}

// endpointURL is issuer + path, made once per client endpoint (New) rather
// than once per request.
func (s *Server) endpointURL(path string) string {
	if u, ok := s.clientEndpoints[path]; ok {
		return u
	}
	return s.issuer + path
}

// token is the token endpoint (RFC 6749 §3.2): parse, authenticate the
// client, run the grant pipeline, answer JSON with no-store.
func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	if err := s.nonceFirst(w, r); err != nil { // RFC 9449 §8, before any jti is used
		return err
	}
	form, client, clientKey, err := s.clientRequestKey(w, r, PathToken)
	if err != nil {
		return err
	}
	jkt, err := s.clientProof(w, r, client, PathToken)
	if err != nil {
		return err
	}
	scope, given := scopeParam(form)
	// Only the password grant throttles by address: the refresh grant, the
	// hot path, does not walk X-Forwarded-For.
	remoteIP := ""
	if form.Get("grant_type") == grant.TypePassword {
		remoteIP = s.clientIP(r)
	}
	resp, err := s.Grants.Exchange(r.Context(), grant.Request{
		GrantType:    form.Get("grant_type"),
		Client:       client,
		Scope:        scope,
		ScopeGiven:   given,
		Username:     form.Get("username"),
		Password:     form.Get("password"),
		RemoteIP:     remoteIP,
		RefreshToken: form.Get("refresh_token"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
		DPoPJKT:      jkt,
		ClientKey:    clientKey,                     // private_key_jwt key thumbprint (refresh.Proof)
		Resources:    form[authorize.ParamResource], // RFC 8707 §2.2
	})
	if err != nil {
		return err
	}
	noStore(w)
	writeTokenResponse(w, resp)
	return nil
}
