package oauth_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/oauth"
)

// badCSRF are the forgeries each form must refuse: no token, a token of the
// other form, and a token of the same form for another request.
func badCSRF(b *browser, form, handle string) map[string]string {
	other := "login:"
	if form == "login" {
		other = "consent:"
	}
	return map[string]string{
		"missing":         "",
		"other form":      b.csrfToken(other + handle),
		"other request":   b.csrfToken(form + ":tgir_another-request"),
		"garbage":         "not-a-token",
		"another browser": b.f.browser().csrfToken(form + ":" + handle),
	}
}

// TestLoginFormNeedsCSRF: a login POST for a live request, with the right
// password, is refused unless it carries the token of its own page
// (login CSRF: an attacker could otherwise sign the victim's browser in).
func TestLoginFormNeedsCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	path, h := b.parkedAt(codeRequest("scope", "openid"))
	if path != oauth.PathLogin {
		t.Fatalf("parked at %s", path)
	}
	lp := b.do(http.MethodGet, oauth.PathLogin+"?request="+url.QueryEscape(h), nil)
	if lp.Status != http.StatusOK {
		t.Fatalf("login page: %d", lp.Status)
	}
	for name, tok := range badCSRF(b, "login", h) {
		form := url.Values{"request": {h}, "username": {"alice"}, "password": {fxPassword}}
		if tok != "" {
			form.Set("csrf", tok)
		}
		wantErrorPage(t, b.do(http.MethodPost, oauth.PathLogin, form))
		if _, ok := b.cookies["tollgate_session"]; ok {
			t.Fatalf("%s: a login POST without its CSRF token signed the browser in", name)
		}
	}
	form := lp.hidden()
	form.Set("username", "alice")
	form.Set("password", fxPassword)
	wantRedirect(t, b.do(http.MethodPost, oauth.PathLogin, form), oauth.PathResume)
	if _, ok := b.cookies["tollgate_session"]; !ok {
		t.Fatal("the page's own token did not sign in")
	}
}

// TestConsentFormNeedsCSRF: a consent POST for a live request with a
// signed-in user is refused unless it carries the token of its own page
// (else another site could consent, to offline access too, on the user's
// behalf).
func TestConsentFormNeedsCSRF(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signedIn("sub-alice", fxT0.Add(-time.Minute))
	path, h := b.parkedAt(codeRequest())
	if path != oauth.PathConsent {
		t.Fatalf("parked at %s", path)
	}
	cp := b.do(http.MethodGet, path+"?request="+url.QueryEscape(h), nil)
	if cp.Status != http.StatusOK {
		t.Fatalf("consent page: %d", cp.Status)
	}
	for name, tok := range badCSRF(b, "consent", h) {
		form := url.Values{"request": {h}, "consent": {"allow"}, "remember": {"yes"}}
		if tok != "" {
			form.Set("csrf", tok)
		}
		p := b.do(http.MethodPost, oauth.PathConsent, form)
		if _, ok := toClient(p); ok {
			t.Fatalf("%s: a consent POST without its CSRF token answered the client", name)
		}
		wantErrorPage(t, p)
	}
	form := cp.hidden()
	form.Set("consent", "allow")
	if q, ok := toClient(b.do(http.MethodPost, oauth.PathConsent, form)); !ok || q.Get("code") == "" {
		t.Fatal("the page's own token did not complete the request")
	}
}
