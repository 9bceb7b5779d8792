package account

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

func newHandler(t *testing.T) *Handler {
	t.Helper()
	cfg := config.Default()
	cfg.Issuer = "https://id.example/tg"
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	pages, err := web.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	h, err := New(Deps{Config: cfg, Service: f.svc, Pages: pages, CSRF: &web.CSRF{Key: testCookies().key},
		CookieKey: testCookies().key, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Without the account cookie, /account sends the browser to the usual
// authorize endpoint as the built-in client, with PKCE S256, state and
// nonce, and keeps them in a pending cookie scoped to /account.
func TestAccountStartsTheSignIn(t *testing.T) {
	h := newHandler(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tg/account?ui_locales=nb", nil))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d", rec.Code)
	}
	u, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "https://id.example/tg/connect/authorize" {
		t.Fatalf("Location %q", rec.Header().Get("Location"))
	}
	q := u.Query()
	for k, v := range map[string]string{"client_id": config.AccountClientID, "response_type": "code", "scope": "openid",
		"redirect_uri": "https://id.example/tg/account/callback", "code_challenge_method": "S256", "ui_locales": "nb"} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state, nonce or challenge too short: %v", q)
	}
	cks := rec.Result().Cookies()
	if len(cks) != 1 || cks[0].Name != pendingCookie || cks[0].Path != "/tg/account" || !cks[0].Secure || !cks[0].HttpOnly {
		t.Fatalf("cookies %+v", cks)
	}
	// The callback with another state is refused and signs no one in.
	cb := httptest.NewRequest(http.MethodGet, "/tg/account/callback?code=x&state=other", nil)
	cb.AddCookie(&http.Cookie{Name: cks[0].Name, Value: cks[0].Value})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, cb)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("callback with another state: %d", rec.Code)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			t.Fatal("signed in on a foreign state")
		}
	}
}

// The forms are POST only, and a POST without the account cookie changes
// nothing and sends the browser to sign in.
func TestAccountMethods(t *testing.T) {
	h := newHandler(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tg/account/remove?grant=g", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET remove: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/tg/account/remove", nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/tg/account" {
		t.Fatalf("POST without sign-in: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tg/account/nothing", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown page: %d", rec.Code)
	}
}

// New refuses a cookie key shorter than 32 bytes: every account cookie
// would be refused under it, and the page would send the person to sign
// in again and again.
func TestNewRefusesAShortCookieKey(t *testing.T) {
	h := newHandler(t)
	for _, key := range [][]byte{nil, []byte("0123456789abcdef0123456789abcde")} {
		d := h.Deps
		d.CookieKey = key
		if _, err := New(d); err == nil {
			t.Errorf("a %d-byte key was accepted", len(key))
		}
	}
	d := h.Deps
	d.CookieKey = []byte("0123456789abcdef0123456789abcdef")
	if _, err := New(d); err != nil {
		t.Fatalf("a 32-byte key: %v", err)
	}
}
