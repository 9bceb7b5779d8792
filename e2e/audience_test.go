package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestAssertionAudiencePerEndpoint: a private_key_jwt assertion made for
// one endpoint authenticates there and nowhere else; one made for the
// issuer authenticates everywhere (RFC 7523 §3 item 3, RFC 9126 §2,
// draft-ietf-oauth-rfc7523bis). The security review presented an
// assertion for the token endpoint at PAR, introspection and revocation.
func TestAssertionAudiencePerEndpoint(t *testing.T) {
	e := startWith(t, func(c *config.Config) {
		for i := range c.Clients {
			if c.Clients[i].ID == "jwt" {
				c.Clients[i].GrantTypes = append(c.Clients[i].GrantTypes, "authorization_code")
				c.Clients[i].RedirectURIs = []string{"https://jwt.example/cb"}
			}
		}
	})
	rt := e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW},
		"scope": {"openid offline_access"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {e.assertion(t, "setup", e.issuer, 50*time.Second)}}, "", "").str("refresh_token")
	if rt == "" {
		t.Fatal("no refresh token to introspect")
	}
	endpoints := map[string]struct {
		form   url.Values
		status int
	}{
		"/connect/token": {url.Values{"grant_type": {"refresh_token"}}, http.StatusOK}, // refresh_token set per call
		"/connect/par": {url.Values{"response_type": {"code"}, "redirect_uri": {"https://jwt.example/cb"},
			"scope": {"openid"}, "state": {"s"}}, http.StatusCreated},
		"/connect/introspect": {url.Values{"token": {"nonsense"}}, http.StatusOK},
		"/connect/revocation": {url.Values{"token": {"nonsense"}}, http.StatusOK},
	}
	paths := []string{"/connect/token", "/connect/par", "/connect/introspect", "/connect/revocation"}
	n := 0
	for _, at := range paths {
		for _, aud := range append([]string{""}, paths...) {
			n++
			ep := endpoints[at]
			form := cloneForm(ep.form)
			if at == "/connect/token" {
				form.Set("refresh_token", rt)
			}
			form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			form.Set("client_assertion", e.assertion(t, fmt.Sprintf("aud-%d", n), e.issuer+aud, 50*time.Second))
			r := e.post(at, form, "", "")
			if aud == "" || aud == at {
				if r.Status != ep.status {
					t.Fatalf("%s with aud %q: %d %s, want %d", at, e.issuer+aud, r.Status, r.Raw, ep.status)
				}
				if at == "/connect/token" {
					rt = r.str("refresh_token")
				}
				continue
			}
			wantError(t, r, http.StatusUnauthorized, "invalid_client")
		}
	}
}
