package oauth_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/oauth"
)

// TestResumeCompletesOnce: after the login form, resume completes a request
// that needs nothing more, once; every page of the request is dead after.
func TestResumeCompletesOnce(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	path, h := b.parkedAt(codeRequest("scope", "openid"))
	if path != oauth.PathLogin {
		t.Fatalf("parked at %s", path)
	}
	q := "?request=" + url.QueryEscape(h)
	// Out of order: resume before signing in only points back to the login page.
	wantRedirect(t, b.do(http.MethodGet, oauth.PathResume+q, nil), oauth.PathLogin)
	wantRedirect(t, b.signIn(h, "alice", fxPassword), oauth.PathResume)
	if v, ok := toClient(b.do(http.MethodGet, oauth.PathResume+q, nil)); !ok || v.Get("code") == "" || v.Get("state") != "st" {
		t.Fatalf("resume after sign-in: %v", v)
	}
	for _, p := range []string{oauth.PathResume, oauth.PathConsent, oauth.PathLogin} {
		wantErrorPage(t, b.do(http.MethodGet, p+q, nil))
	}
	if p := b.do(http.MethodPost, oauth.PathResume+q, url.Values{}); p.Status != http.StatusMethodNotAllowed {
		t.Fatalf("POST to resume: %d", p.Status)
	}
}

// TestConsentAnswerCountsOnce: a consent form posted again after it
// completed the request gives no second code.
func TestConsentAnswerCountsOnce(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signedIn("sub-alice", fxT0)
	_, h := b.parkedAt(codeRequest())
	form := b.do(http.MethodGet, oauth.PathConsent+"?request="+url.QueryEscape(h), nil).hidden()
	form.Set("consent", "allow")
	if _, ok := toClient(b.do(http.MethodPost, oauth.PathConsent, form)); !ok {
		t.Fatal("consent did not complete")
	}
	wantErrorPage(t, b.do(http.MethodPost, oauth.PathConsent, form))
}

// TestDeadHandles: every page refuses a handle that is unknown, malformed
// or past its 15 minutes, with an error page (there is no client to
// redirect to that the handle could be trusted for).
func TestDeadHandles(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signedIn("sub-alice", fxT0)
	_, live := b.parkedAt(codeRequest())
	f.advance(15 * time.Minute)
	for _, h := range []string{live, "tgir_unknown", "", "not-a-handle", "tgir_" + string(make([]byte, 200))} {
		for _, p := range []string{oauth.PathLogin, oauth.PathConsent, oauth.PathResume} {
			wantErrorPage(t, b.do(http.MethodGet, p+"?request="+url.QueryEscape(h), nil))
		}
	}
}
