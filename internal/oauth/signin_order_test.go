package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/oauth"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestParkedStepsCannotSkipSignIn: a browser whose session is older than
// the request asks (prompt=login, max_age; OIDC Core §3.1.2.1), or that
// signed out after the request was parked, is sent to the login page by
// every later step: the consent page (GET and a well-formed POST) and
// resume. No step hands out a code out of order.
func TestParkedStepsCannotSkipSignIn(t *testing.T) {
	cases := []struct {
		name    string
		extra   []string
		session bool // the browser keeps its hour-old session
	}{
		{"prompt=login", []string{"prompt", "login"}, true},
		{"max_age exceeded", []string{"max_age", "60"}, true},
		{"prompt=login consent", []string{"prompt", "login consent"}, true},
		{"signed out after parking", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			b := f.browser()
			b.signedIn("sub-alice", fxT0.Add(-time.Hour))
			path, h := b.parkedAt(codeRequest(tc.extra...))
			if !tc.session {
				path = oauth.PathLogin // where a session-less request goes
				if p := b.do(http.MethodGet, oauth.PathConsent+"?request="+url.QueryEscape(h), nil); p.Status != http.StatusOK {
					t.Fatalf("setup: consent page with a session: %d", p.Status)
				}
				delete(b.cookies, "tollgate_session")
			}
			if path != oauth.PathLogin {
				t.Fatalf("parked at %s, want the login page", path)
			}
			f.advance(time.Second)
			q := "?request=" + url.QueryEscape(h)
			wantRedirect(t, b.do(http.MethodGet, oauth.PathConsent+q, nil), oauth.PathLogin)
			form := url.Values{"request": {h}, "csrf": {b.csrfToken("consent:" + h)}, "consent": {"allow"}}
			p := b.do(http.MethodPost, oauth.PathConsent, form)
			if _, ok := toClient(p); ok {
				t.Fatalf("consent POST out of order answered the client: %s", p.Location)
			}
			wantRedirect(t, p, oauth.PathLogin)
			wantRedirect(t, b.do(http.MethodGet, oauth.PathResume+q, nil), oauth.PathLogin)
			// The request is still live: signing in now completes it.
			after := b.follow(b.signIn(h, "alice", fxPassword), "allow")
			if _, ok := toClient(after); !ok {
				t.Fatalf("after signing in: %d %q", after.Status, after.Location)
			}
		})
	}
}

// TestFreshSignInCompletesPromptLogin: the legitimate path of a prompt=login
// request with offline access (login, consent, code) completes, and the ID
// token carries the new sign-in's auth_time, not the old session's.
func TestFreshSignInCompletesPromptLogin(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signedIn("sub-alice", fxT0.Add(-time.Hour))
	_, h := b.parkedAt(codeRequest("prompt", "login"))
	f.advance(30 * time.Second)
	signedInAt := f.Now()
	p := b.signIn(h, "alice", fxPassword)
	wantRedirect(t, p, oauth.PathResume)
	p = b.follow(p, "allow")
	q, ok := toClient(p)
	if !ok || q.Get("code") == "" {
		t.Fatalf("prompt=login after a fresh sign-in: %d %q", p.Status, p.Location)
	}
	if at, _ := f.redeem(q.Get("code"))["auth_time"].(float64); int64(at) != signedInAt.Unix() {
		t.Fatalf("auth_time %v, want the fresh sign-in %d", at, signedInAt.Unix())
	}
}

// TestConsentSteps: the consent page is shown when the decision asks for
// consent (offline access, OIDC Core §11; prompt=consent) and its answer is
// honoured; once no consent is needed any more it passes on to resume.
func TestConsentSteps(t *testing.T) {
	// consentPage parks a request at the consent page and returns its form.
	consentPage := func(t *testing.T, b *browser, extra ...string) url.Values {
		t.Helper()
		path, h := b.parkedAt(codeRequest(extra...))
		if path != oauth.PathConsent {
			t.Fatalf("parked at %s, want the consent page", path)
		}
		p := b.do(http.MethodGet, path+"?request="+url.QueryEscape(h), nil)
		if p.Status != http.StatusOK || p.hidden().Get("csrf") == "" {
			t.Fatalf("consent page: %d", p.Status)
		}
		return p.hidden()
	}
	answer := func(t *testing.T, b *browser, form url.Values, consent string, rememberIt bool) url.Values {
		t.Helper()
		form.Set("consent", consent)
		if rememberIt {
			form.Set("remember", "yes")
		}
		p := b.do(http.MethodPost, oauth.PathConsent, form)
		q, ok := toClient(p)
		if !ok {
			t.Fatalf("consent POST: %d %q, want a redirect to the client", p.Status, p.Location)
		}
		return q
	}
	setup := func(t *testing.T) (*fixture, *browser) {
		f := newFixture(t)
		b := f.browser()
		b.signedIn("sub-alice", fxT0)
		return f, b
	}
	t.Run("not remembered: asked every time", func(t *testing.T) {
		_, b := setup(t)
		for range 2 {
			if q := answer(t, b, consentPage(t, b), "allow", false); q.Get("code") == "" {
				t.Fatalf("allowed consent: %v", q)
			}
		}
	})
	t.Run("remembered: asked once", func(t *testing.T) {
		_, b := setup(t)
		answer(t, b, consentPage(t, b), "allow", true)
		if q, ok := toClient(b.authorize(codeRequest())); !ok || q.Get("code") == "" {
			t.Fatal("a remembered consent was asked again")
		}
	})
	t.Run("prompt=consent asks despite a remembered consent", func(t *testing.T) {
		f, b := setup(t)
		remember(t, f, "openid", "offline_access")
		if q := answer(t, b, consentPage(t, b, "prompt", "consent"), "allow", false); q.Get("code") == "" {
			t.Fatalf("prompt=consent allowed: %v", q)
		}
	})
	t.Run("denied", func(t *testing.T) {
		_, b := setup(t)
		if q := answer(t, b, consentPage(t, b), "deny", false); q.Get("error") != "access_denied" || q.Get("code") != "" {
			t.Fatalf("denied consent: %v", q)
		}
	})
	t.Run("remembered in another tab meanwhile", func(t *testing.T) {
		_, b := setup(t)
		first, second := consentPage(t, b), consentPage(t, b)
		answer(t, b, first, "allow", true)
		// The page itself is no longer needed: it passes on to resume...
		wantRedirect(t, b.do(http.MethodGet, oauth.PathConsent+"?request="+url.QueryEscape(second.Get("request")), nil), oauth.PathResume)
		// ...but the answer the user gave on it is still honoured.
		if q := answer(t, b, second, "deny", false); q.Get("error") != "access_denied" {
			t.Fatalf("a deny after consent was remembered elsewhere: %v", q)
		}
	})
}

// remember stores alice's consent to app for scopes.
func remember(t *testing.T, f *fixture, scopes ...string) {
	t.Helper()
	if err := f.st.SaveConsent(context.Background(), store.Consent{Subject: "sub-alice", ClientID: "app", Scopes: scopes, CreatedAt: f.Now()}); err != nil {
		t.Fatal(err)
	}
}
