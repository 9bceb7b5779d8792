package oauth_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oauth"
)

// idToken is an ID token of this server for app, as an id_token_hint.
func (f *fixture) idToken(subject, sid string) string {
	f.t.Helper()
	now := f.Now()
	tok, err := f.srv.Minter.IDToken(mint.IDClaims{Subject: subject, Audience: "app", SessionID: sid,
		IssuedAt: now, ExpiresAt: now.Add(5 * time.Minute), AuthTime: now}, "ES256")
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// passwordGrantIDToken is the ID token the password grant gives app: it has
// no sid, as no browser session stands behind it.
func (f *fixture) passwordGrantIDToken() string {
	f.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {fxPassword}, "scope": {"openid"}}
	tok := f.postAsApp(oauth.PathToken, form, http.StatusOK, "id_token")
	if sid, ok := jwtClaims(f.t, tok)["sid"]; ok {
		f.t.Fatalf("a password-grant ID token carries sid %v", sid)
	}
	return tok
}

// TestEndSessionHintMustNameTheSession: an id_token_hint proves which
// session a logout means only when its sid is the browser session's SID
// (OIDC RP-Initiated Logout §2, §3: forged logout requests). Any other hint
// gets the confirmation page and leaves the session alive.
func TestEndSessionHintMustNameTheSession(t *testing.T) {
	cases := []struct {
		name  string
		hint  func(f *fixture, sid string) string
		ended bool
	}{
		{"password-grant token, no sid", func(f *fixture, _ string) string { return f.passwordGrantIDToken() }, false},
		{"empty sid", func(f *fixture, _ string) string { return f.idToken("sub-alice", "") }, false},
		{"another session's sid", func(f *fixture, _ string) string { return f.idToken("sub-alice", "sid-other") }, false},
		{"the sid, another subject", func(f *fixture, sid string) string { return f.idToken("sub-bob", sid) }, false},
		{"the session's sid", func(f *fixture, sid string) string { return f.idToken("sub-alice", sid) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			b := f.browser()
			sess := b.signedIn("sub-alice", fxT0)
			q := url.Values{"id_token_hint": {tc.hint(f, sess.SID)}, "post_logout_redirect_uri": {fxBye}, "state": {"bye"}}
			p := b.do(http.MethodGet, oauth.PathEndSession+"?"+q.Encode(), nil)
			if !tc.ended {
				if p.Status != http.StatusOK || p.hidden().Get("confirm") != "yes" {
					t.Fatalf("got %d Location %q, want the confirmation page", p.Status, p.Location)
				}
				if !f.sessionAlive(sess) {
					t.Fatal("an unproven logout ended the session")
				}
				return
			}
			if p.Status != http.StatusFound || p.Location != fxBye+"?state=bye" {
				t.Fatalf("proven logout: %d %q", p.Status, p.Location)
			}
			if f.sessionAlive(sess) {
				t.Fatal("a proven logout left the session alive")
			}
		})
	}
}

// TestEndSessionConfirmation: without proof the user confirms by a form
// that carries its CSRF token; the form without it ends nothing.
func TestEndSessionConfirmation(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	sess := b.signedIn("sub-alice", fxT0)
	p := b.do(http.MethodGet, oauth.PathEndSession+"?client_id=app&post_logout_redirect_uri="+url.QueryEscape(fxBye), nil)
	form := p.hidden()
	if p.Status != http.StatusOK || form.Get("csrf") == "" {
		t.Fatalf("confirmation page: %d", p.Status)
	}
	forged := url.Values{"confirm": {"yes"}, "client_id": {"app"}}
	if p := b.do(http.MethodPost, oauth.PathEndSession, forged); p.Status != http.StatusOK || !f.sessionAlive(sess) {
		t.Fatalf("a confirmation without CSRF token: %d, session alive %v", p.Status, f.sessionAlive(sess))
	}
	if p := b.do(http.MethodPost, oauth.PathEndSession, form); p.Status != http.StatusFound || p.Location != fxBye {
		t.Fatalf("confirmed logout: %d %q", p.Status, p.Location)
	}
	if f.sessionAlive(sess) {
		t.Fatal("a confirmed logout left the session alive")
	}
	// No session left: nothing to confirm, the browser goes straight back.
	if p := b.do(http.MethodGet, oauth.PathEndSession+"?id_token_hint="+url.QueryEscape(f.idToken("sub-alice", ""))+
		"&post_logout_redirect_uri="+url.QueryEscape(fxBye), nil); p.Status != http.StatusFound {
		t.Fatalf("logout without a session: %d", p.Status)
	}
}
