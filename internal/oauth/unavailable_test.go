package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/oauth"
)

// send posts form to path as client app (client_secret_basic with secret).
func (f *fixture) send(path, secret string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodPost, fxIssuer+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("app", secret)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// wantUnavailable asserts a back-channel 503 temporarily_unavailable with
// Retry-After, no-store, and nothing of the cause in the body.
func wantUnavailable(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s: %d %q is not JSON", what, w.Code, w.Body.String())
	}
	if w.Code != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || body["error_description"] == "" {
		t.Fatalf("%s: %d %s, want 503 temporarily_unavailable", what, w.Code, w.Body.String())
	}
	if w.Header().Get("Retry-After") == "" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Retry-After %q, Cache-Control %q", what, w.Header().Get("Retry-After"), w.Header().Get("Cache-Control"))
	}
	if b := w.Body.String(); strings.Contains(b, "fakedb") || strings.Contains(b, "5432") || strings.Contains(b, "deadline") {
		t.Errorf("%s: the answer shows the cause: %s", what, b)
	}
}

func passwordGrant() url.Values {
	return url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {fxPassword}, "scope": {"openid offline_access"}}
}

// TestTokenEndpointStoreDown: while the store cannot be reached, the token
// endpoint answers 503 temporarily_unavailable with Retry-After, never 500;
// when it is back, the very refresh token the client held refreshes.
func TestTokenEndpointStoreDown(t *testing.T) {
	f := newFixture(t)
	rt := f.postAsApp(oauth.PathToken, passwordGrant(), http.StatusOK, "refresh_token")
	refreshForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}

	f.fault.down(errDown)
	wantUnavailable(t, "refresh", f.send(oauth.PathToken, fxSecret, refreshForm))
	wantUnavailable(t, "password grant", f.send(oauth.PathToken, fxSecret, passwordGrant()))

	// A statement that ran out of time is the same: the store did not answer.
	f.fault.failOnly(context.DeadlineExceeded, "RotateRefreshToken")
	wantUnavailable(t, "refresh, statement timeout", f.send(oauth.PathToken, fxSecret, refreshForm))

	f.fault.down(nil)
	next := f.postAsApp(oauth.PathToken, refreshForm, http.StatusOK, "refresh_token")
	if next == rt {
		t.Error("the refresh after the outage did not rotate")
	}
}

// TestClientMistakesWhileStoreDown: a request that is wrong stays a 4xx
// with its own error whatever the store's state: a client must not retry a
// mistake, nor take an outage for one.
func TestClientMistakesWhileStoreDown(t *testing.T) {
	f := newFixture(t)
	f.fault.down(errDown)
	for _, tc := range []struct {
		name, secret string
		form         url.Values
		status       int
		code         string
	}{
		{"no grant_type", fxSecret, url.Values{}, 400, "invalid_request"},
		{"unknown grant_type", fxSecret, url.Values{"grant_type": {"magic"}}, 400, "unsupported_grant_type"},
		{"wrong secret", "wrong-secret-0123456789abcdefghijklmnop", passwordGrant(), 401, "invalid_client"},
		{"malformed refresh token", fxSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"not-a-token"}}, 400, "invalid_grant"},
		{"wrong password", fxSecret, url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"nope"}}, 400, "invalid_grant"},
	} {
		w := f.send(oauth.PathToken, tc.secret, tc.form)
		var body map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != tc.status || body["error"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body.String(), tc.status, tc.code)
		}
	}
}

// TestRevocationAndIntrospectionStoreDown: both answer 503 rather than
// pretending (a revocation that did not happen must not answer 200; an
// introspection must not call a live token inactive).
func TestRevocationAndIntrospectionStoreDown(t *testing.T) {
	f := newFixture(t)
	rt := f.postAsApp(oauth.PathToken, passwordGrant(), http.StatusOK, "refresh_token")
	f.fault.down(errDown)
	wantUnavailable(t, "revocation", f.send(oauth.PathRevocation, fxSecret, url.Values{"token": {rt}}))
	wantUnavailable(t, "introspection", f.send(oauth.PathIntrospect, fxSecret, url.Values{"token": {rt}}))
	wantUnavailable(t, "par", f.send(oauth.PathPAR, fxSecret, codeRequest()))

	f.fault.down(nil)
	w := f.send(oauth.PathIntrospect, fxSecret, url.Values{"token": {rt}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"active":true`) {
		t.Fatalf("introspection after the outage: %d %s", w.Code, w.Body.String())
	}
}

// wantTryAgainPage asserts the browser's "try again shortly" page.
func wantTryAgainPage(t *testing.T, what string, p page, retryLink bool) {
	t.Helper()
	if p.Status != http.StatusServiceUnavailable || p.Location != "" {
		t.Fatalf("%s: %d Location %q, want the 503 try-again page", what, p.Status, p.Location)
	}
	if !strings.Contains(p.Body, "Try again shortly") && !strings.Contains(p.Body, "Prøv igjen om litt") {
		t.Fatalf("%s: not the try-again page:\n%s", what, p.Body)
	}
	if got := strings.Contains(p.Body, `class="button primary" href=`); got != retryLink {
		t.Errorf("%s: retry link shown %v, want %v", what, got, retryLink)
	}
	if strings.Contains(p.Body, "fakedb") || strings.Contains(p.Body, "server_error") {
		t.Errorf("%s: the page shows the cause", what)
	}
}

// TestBrowserPagesStoreDown: authorize, login, consent and end_session show
// the "try again shortly" page (503) while the store cannot be reached, and
// the user's next try after the outage goes on where it stopped.
func TestBrowserPagesStoreDown(t *testing.T) {
	f := newFixture(t)
	b := f.browser()

	// authorize (GET): the page offers to repeat the very request.
	q := codeRequest("ui_locales", "nb")
	f.fault.down(errDown)
	p := b.authorize(q)
	wantTryAgainPage(t, "authorize", p, true)
	if !strings.Contains(p.Body, "Prøv igjen om litt") {
		t.Error("the page is not in the request's language (ui_locales=nb)")
	}
	f.fault.down(nil)
	path, handle := b.parkedAt(q)
	if path != oauth.PathLogin {
		t.Fatalf("after the outage authorize sent the browser to %s", path)
	}

	// login (POST): no link (a POST is the browser's to repeat); sending
	// the same form again after the outage signs in.
	lp := b.do(http.MethodGet, oauth.PathLogin+"?request="+url.QueryEscape(handle), nil)
	form := lp.hidden()
	form.Set("username", "alice")
	form.Set("password", fxPassword)
	f.fault.failOnly(errDown, "CreateSession")
	wantTryAgainPage(t, "login POST", b.do(http.MethodPost, oauth.PathLogin, form), false)
	f.fault.down(nil)
	resume := wantRedirect(t, b.do(http.MethodPost, oauth.PathLogin, form), oauth.PathResume)
	consentAt := wantRedirect(t, b.do(http.MethodGet, resume.String(), nil), oauth.PathConsent)

	// consent (GET).
	f.fault.down(errDown)
	wantTryAgainPage(t, "consent", b.do(http.MethodGet, consentAt.String(), nil), true)
	f.fault.down(nil)

	// end_session (GET) with a session.
	f.fault.down(errDown)
	wantTryAgainPage(t, "end_session", b.do(http.MethodGet, oauth.PathEndSession, nil), true)
	f.fault.down(nil)
}

// TestCodeNotStoredRedirectsUnavailable: when the request is valid and
// only storing the code fails, the client hears temporarily_unavailable
// (RFC 6749 §4.1.2.1) with its state, and can start the sign-in again.
func TestCodeNotStoredRedirectsUnavailable(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signedIn("sub-alice", fxT0)
	f.fault.failOnly(errDown, "CreateAuthCode")
	params, ok := toClient(b.authorize(codeRequest("scope", "openid")))
	if !ok || params.Get("error") != "temporarily_unavailable" || params.Get("state") != "st" || params.Get("iss") != fxIssuer {
		t.Fatalf("got %v (to the client: %v), want error=temporarily_unavailable with state and iss", params, ok)
	}
	if params.Has("code") {
		t.Error("a code that was not stored was handed out")
	}
}

// TestProbes: /healthz says the process lives whatever the store does;
// /readyz follows the store, says why without naming it, and neither may
// be cached. Both answer under the issuer's path too.
func TestProbes(t *testing.T) {
	f := newFixtureAt(t, "https://login.example.com/tg")
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "https://login.example.com"+path, nil))
		return w
	}
	for _, base := range []string{"", "/tg"} {
		f.fault.down(nil)
		if w := get(base + "/readyz"); w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"ready"`) || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s/readyz, store up: %d %s (Cache-Control %q)", base, w.Code, w.Body.String(), w.Header().Get("Cache-Control"))
		}
		f.fault.failOnly(errDown, "Ping")
		w := get(base + "/readyz")
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"reason":"the store does not answer"`) {
			t.Errorf("%s/readyz, store down: %d %s", base, w.Code, w.Body.String())
		}
		if strings.Contains(w.Body.String(), "5432") || strings.Contains(w.Body.String(), "fakedb") {
			t.Errorf("%s/readyz names the store: %s", base, w.Body.String())
		}
		if w := get(base + "/healthz"); w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s/healthz, store down: %d (Cache-Control %q)", base, w.Code, w.Header().Get("Cache-Control"))
		}
	}
}
