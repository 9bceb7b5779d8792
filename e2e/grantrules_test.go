package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestLeakedCodeCannotBeBurnedOrRevoked (issue 10, flaw 4): a code that
// leaked to someone who can act as another client (a public client needs
// no secret) is refused like an unknown code, before and after the rightful
// client redeems it, and changes nothing either time.
func TestLeakedCodeCannotBeBurnedOrRevoked(t *testing.T) {
	e := start(t)
	verifier, challenge := pkce()
	code := e.newCode(t, store.AuthCode{ClientID: "app", RedirectURI: "https://app.example/cb",
		CodeChallenge: challenge, CodeChallengeMethod: "S256", Scopes: []string{"openid", "offline_access"}})
	asSPA := func() response {
		return e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"spa"},
			"redirect_uri": {"https://spa.example/cb"}}, "", "")
	}
	asWeb := func() response {
		return e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"https://web.example/cb"}}, "web", secretWeb)
	}
	unknown := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {"tgac_unknown"}, "client_id": {"spa"},
		"redirect_uri": {"https://spa.example/cb"}}, "", "")
	for _, r := range []response{asSPA(), asWeb()} {
		wantError(t, r, 400, "invalid_grant")
		if r.str("error_description") != unknown.str("error_description") {
			t.Fatalf("another client's code answered %q, an unknown code %q", r.str("error_description"), unknown.str("error_description"))
		}
	}
	ok := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {"https://app.example/cb"}, "code_verifier": {verifier}}, "app", secretApp)
	wantOK(t, ok)
	rt := ok.str("refresh_token")
	wantError(t, asSPA(), 400, "invalid_grant")
	wantError(t, asWeb(), 400, "invalid_grant")
	wantOK(t, e.refreshGrant("app", secretApp, rt))
}

// TestIntrospectionFollowsTheGrantRules (issue 10, flaw 8): introspection
// answers as the refresh grant and userinfo would, after every kind of
// configuration change an operator can make.
func TestIntrospectionFollowsTheGrantRules(t *testing.T) {
	e := start(t)
	g := e.passwordGrant("app", secretApp, "openid profile offline_access")
	wantOK(t, g)
	rt, at := g.str("refresh_token"), g.str("access_token")
	active := func(tok string) bool {
		r := e.post("/connect/introspect", url.Values{"token": {tok}}, "app", secretApp)
		wantOK(t, r)
		return r.Body["active"] == true
	}
	userinfo := func() int {
		req, _ := http.NewRequest(http.MethodGet, e.issuer+"/connect/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		return e.do(req).Status
	}
	if !active(rt) || !active(at) || userinfo() != 200 {
		t.Fatal("fresh tokens are not active")
	}

	e.restart(func(c *config.Config) { c.Users[0].Disabled = true })
	if active(rt) || active(at) {
		t.Error("introspection: a disabled user's tokens are active")
	}
	if userinfo() != 401 {
		t.Error("userinfo served a disabled user")
	}
	wantError(t, e.refreshGrant("app", secretApp, rt), 400, "invalid_grant")

	e.restart(func(c *config.Config) { c.Users = c.Users[1:] }) // alice removed
	if active(rt) || active(at) {
		t.Error("introspection: a removed user's tokens are active")
	}

	e.restart(func(c *config.Config) { c.Clients[0].AllowOfflineAccess = false })
	if active(rt) {
		t.Error("introspection: a refresh token of a client without allow_offline_access is active")
	}
	if !active(at) {
		t.Error("introspection: the access token of a live user went inactive with offline access")
	}
	wantError(t, e.refreshGrant("app", secretApp, rt), 400, "unauthorized_client")

	e.restart(nil) // all as it was: nothing above consumed or revoked the token
	if !active(rt) {
		t.Fatal("the refresh token did not come back with its user and client")
	}
	wantOK(t, e.refreshGrant("app", secretApp, rt))
}
