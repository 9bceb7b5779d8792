package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPromptLoginCannotBeSkippedThroughConsent: a browser with an hour-old
// session that opens the consent page of a prompt=login request directly,
// instead of following the redirect to the login page, is sent to the login
// page and gets no code. After a real sign-in the ID token's auth_time is
// that sign-in's (OIDC Core §3.1.2.1 prompt=login, §2 auth_time).
func TestPromptLoginCannotBeSkippedThroughConsent(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	b := e.browser()
	_, challenge := pkce()
	if loc, _ := b.walk(e.authURL(codeRequest(challenge, map[string]string{"scope": "openid"})), alice()); loc == nil {
		t.Fatal("first sign-in failed")
	}
	e.clk.Add(time.Hour)

	verifier, challenge := pkce()
	p := b.do("GET", e.authURL(codeRequest(challenge, map[string]string{"prompt": "login"})), nil)
	toLogin, err := url.Parse(p.Location)
	if p.Status != http.StatusSeeOther || err != nil || toLogin.Path != "/account/login" {
		t.Fatalf("prompt=login: %d %q, want the login page", p.Status, p.Location)
	}
	handle := toLogin.Query().Get("request")
	skip := b.do("GET", "/account/consent?request="+url.QueryEscape(handle), nil)
	if skip.Status == http.StatusOK { // the flaw: show how far it goes
		form := skip.hidden()
		form.Set("consent", "allow")
		got := b.do("POST", "/account/consent", form)
		t.Fatalf("the consent page was shown without the sign-in prompt=login asks for; its POST answered %d %q", got.Status, got.Location)
	}
	if skip.Status != http.StatusSeeOther || !strings.HasPrefix(skip.Location, "/account/login?") {
		t.Fatalf("consent page out of order: %d %q, want a redirect to the login page", skip.Status, skip.Location)
	}

	e.clk.Add(10 * time.Second)
	signedInAt := e.clk.Now()
	f := alice()
	loc, last := b.walkFrom(skip, f)
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("after signing in: %d", last.Status)
	}
	if strings.Join(f.Seen, ",") != "login,consent" {
		t.Fatalf("pages shown: %v", f.Seen)
	}
	_, raw := e.redeemApp(t, loc, verifier)
	id, err := e.verifier("app").Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		AuthTime int64 `json:"auth_time"`
	}
	if err := id.Claims(&c); err != nil || c.AuthTime != signedInAt.Unix() {
		t.Fatalf("auth_time %d, want the fresh sign-in at %d (%v)", c.AuthTime, signedInAt.Unix(), err)
	}
}

// TestEndSessionWithPasswordGrantHintAsks: a password-grant ID token has no
// sid, so as an id_token_hint it proves no browser session: the user is
// asked to confirm, and the session lives on until they do.
func TestEndSessionWithPasswordGrantHintAsks(t *testing.T) {
	e := start(t)
	b := e.browser()
	_, challenge := pkce()
	openid := map[string]string{"scope": "openid"}
	if loc, _ := b.walk(e.authURL(codeRequest(challenge, openid)), alice()); loc == nil {
		t.Fatal("sign-in failed")
	}
	r := e.passwordGrant("app", secretApp, "openid")
	wantOK(t, r)
	out := b.do("GET", "/connect/endsession?"+url.Values{"id_token_hint": {r.str("id_token")},
		"post_logout_redirect_uri": {"https://app.example/bye"}}.Encode(), nil)
	if out.Status != http.StatusOK || out.hidden().Get("confirm") != "yes" {
		t.Fatalf("logout with a sid-less hint: %d %q, want the confirmation page", out.Status, out.Location)
	}
	// The session is alive: prompt=none still gets a code.
	openid["prompt"] = "none"
	loc, _ := b.walk(e.authURL(codeRequest(challenge, openid)), alice())
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("after an unconfirmed logout: %v", loc)
	}
}
