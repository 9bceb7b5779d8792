package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oauth"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// Shared fixtures of the oauth unit tests: one Server over the in-memory
// store with an injected clock, driven in-process through its Handler by a
// cookie-keeping browser that stops at every redirect.

const (
	fxIssuer    = "https://login.example.com"
	fxSecret    = "app-secret-0123456789abcdefghijklmnop" // >= 32 characters
	fxAppCB     = "https://app.example.com/cb"
	fxBye       = "https://app.example.com/bye"
	fxPassword  = "correct horse battery staple"
	fxChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 Appendix B
)

// fxT0 is the clock's start: whole seconds, as every store keeps them.
var fxT0 = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// The signing keys are made once per test binary (RSA key generation is slow).
var fxKeys = sync.OnceValues(func() (*keys.Set, error) {
	return keys.Load(context.Background(), memstore.New(), []byte(strings.Repeat("k", 32)), fxT0)
})

type fixture struct {
	t   *testing.T
	cfg *config.Config
	st  *memstore.Store
	// fault stands between the server and st: every store call the
	// server makes goes through it, so a test can make the store fail.
	fault *faultStore
	srv   *oauth.Server
	h     http.Handler
	mu    sync.Mutex
	now   time.Time
}

func (f *fixture) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

// advance moves the clock forward.
func (f *fixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

// newFixture builds a server with clients app (confidential, offline access,
// a post-logout redirect URI), other (confidential) and spa (public), and
// the users alice and bob.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureAt(t, fxIssuer)
}

// newFixtureAt is newFixture with another issuer (one with a path, say).
// The browser and postAsApp helpers speak to fxIssuer's paths only.
func newFixtureAt(t *testing.T, issuer string) *fixture {
	t.Helper()
	cfg := &config.Config{
		Issuer: issuer,
		Clients: []config.Client{
			{ID: "app", Name: "Journal", Secret: fxSecret, RedirectURIs: []string{fxAppCB},
				GrantTypes: []string{config.GrantAuthorizationCode, config.GrantRefreshToken, config.GrantPassword},
				Scopes:     []string{"openid", "profile", "offline_access"}, AllowOfflineAccess: true,
				PostLogoutRedirectURIs: []string{fxBye}},
			{ID: "other", Secret: fxSecret, RedirectURIs: []string{"https://other.example.com/cb"},
				Scopes: []string{"openid", "profile"}},
			{ID: "spa", Type: config.ClientPublic, RedirectURIs: []string{"https://spa.example.com/cb"},
				Scopes: []string{"openid", "profile"}},
		},
		Users: []config.User{
			{Username: "alice", Password: fxPassword, Subject: "sub-alice"},
			{Username: "bob", Password: fxPassword, Subject: "sub-bob"},
		},
	}
	if err := cfg.Finish(); err != nil {
		t.Fatalf("fixture config: %v", err)
	}
	ks, err := fxKeys()
	if err != nil {
		t.Fatalf("fixture keys: %v", err)
	}
	f := &fixture{t: t, cfg: cfg, st: memstore.New(), now: fxT0}
	f.fault = &faultStore{Store: f.st}
	pages, err := web.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	minter := mint.NewMinter(ks, issuer)
	ref := refresh.New(f.fault, mint.NewRefreshKeys([]byte(strings.Repeat("s", 32))), f.Now, nil)
	passwords, err := grant.NewPasswords(cfg, f.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.srv, err = oauth.New(oauth.Deps{
		Config: cfg,
		Auth:   &clientauth.Authenticator{Clients: cfg, JTI: f.fault, Issuer: issuer, Now: f.Now},
		Grants: &grant.Handler{Users: directory.NewUsers(cfg, f.fault), Passwords: passwords, Refresh: ref, Minter: minter, Codes: f.fault, Now: f.Now,
			Audience: oauth.AccessTokenAudience(issuer), Log: slog.New(slog.DiscardHandler)},
		Refresh: ref, Minter: minter, Keys: ks, Store: f.fault, Pages: pages,
		CSRF: &web.CSRF{Key: []byte(strings.Repeat("c", 32)), Secure: true},
		Now:  f.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = f.srv.Handler()
	return f
}

// browser keeps cookies across requests to the fixture.
type browser struct {
	f       *fixture
	cookies map[string]string
}

func (f *fixture) browser() *browser { return &browser{f: f, cookies: map[string]string{}} }

type page struct {
	Status   int
	Location string
	Body     string
}

// location parses the Location header.
func (p page) location(t *testing.T) *url.URL {
	t.Helper()
	u, err := url.Parse(p.Location)
	if err != nil || p.Location == "" {
		t.Fatalf("want a redirect, got %d Location %q", p.Status, p.Location)
	}
	return u
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hidden returns the page's hidden form fields.
func (p page) hidden() url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.Body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// do sends one request; form (when not nil) is the POST body. A path
// without a query may carry one in target.
func (b *browser) do(method, target string, form url.Values) page {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, fxIssuer+target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	b.f.h.ServeHTTP(w, r)
	res := w.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck.Value
		}
	}
	raw, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(raw)}
}

// signedIn gives the browser a live session of subject, signed in at authTime.
func (b *browser) signedIn(subject string, authTime time.Time) store.Session {
	b.f.t.Helper()
	val := "cookie-" + subject + "-" + authTime.Format(time.RFC3339Nano)
	sess := store.Session{ID: mint.HashToken(val), SID: "sid-" + val, Subject: subject, AuthTime: authTime,
		AMR: []string{"pwd"}, CreatedAt: authTime, ExpiresAt: authTime.Add(24 * time.Hour)}
	if err := b.f.st.CreateSession(context.Background(), sess, store.Event{}); err != nil {
		b.f.t.Fatal(err)
	}
	b.cookies["tollgate_session"] = val
	return sess
}

// sessionAlive reports whether the store still holds the session.
func (f *fixture) sessionAlive(sess store.Session) bool {
	_, err := f.st.Session(context.Background(), sess.ID)
	return err == nil
}

// codeRequest is a code-flow query for app; extra pairs override or add.
func codeRequest(extra ...string) url.Values {
	q := url.Values{"client_id": {"app"}, "redirect_uri": {fxAppCB}, "response_type": {"code"},
		"scope": {"openid offline_access"}, "state": {"st"}, "nonce": {"n"},
		"code_challenge": {fxChallenge}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// authorize sends an authorization request by GET.
func (b *browser) authorize(q url.Values) page {
	b.f.t.Helper()
	return b.do(http.MethodGet, oauth.PathAuthorize+"?"+q.Encode(), nil)
}

// parkedAt sends an authorization request that must be parked and returns
// the step it was sent to (login or consent) and its handle.
func (b *browser) parkedAt(q url.Values) (path, handle string) {
	b.f.t.Helper()
	p := b.authorize(q)
	if p.Status != http.StatusSeeOther {
		b.f.t.Fatalf("authorize: %d %q, want a redirect to a sign-in page", p.Status, p.Location)
	}
	u := p.location(b.f.t)
	return u.Path, u.Query().Get("request")
}

// toClient reports whether p sends the browser back to app's redirect URI,
// and the response parameters.
func toClient(p page) (url.Values, bool) {
	if p.Status != http.StatusFound || !strings.HasPrefix(p.Location, fxAppCB+"?") {
		return nil, false
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		return nil, false
	}
	return u.Query(), true
}

// wantRedirect asserts a redirect to path within the server.
func wantRedirect(t *testing.T, p page, path string) *url.URL {
	t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		t.Fatalf("got %d, want a redirect to %s", p.Status, path)
	}
	u := p.location(t)
	if u.Path != path {
		t.Fatalf("redirected to %s, want %s", p.Location, path)
	}
	return u
}

// wantErrorPage asserts an error page: status 400, no redirect.
func wantErrorPage(t *testing.T, p page) {
	t.Helper()
	if p.Status != http.StatusBadRequest || p.Location != "" {
		t.Fatalf("got %d Location %q, want an error page (400, no redirect)", p.Status, p.Location)
	}
}

// csrfToken is the token the server's own page would carry for binding,
// for this browser (whose CSRF cookie it sets when missing): tests use it to
// show that a step refuses a well-formed form for a reason other than CSRF.
func (b *browser) csrfToken(binding string) string {
	r := httptest.NewRequest(http.MethodGet, fxIssuer+"/", nil)
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	w := httptest.NewRecorder()
	tok := b.f.srv.CSRF.Token(w, r, binding)
	for _, ck := range w.Result().Cookies() {
		b.cookies[ck.Name] = ck.Value
	}
	return tok
}

// fxVerifier is the PKCE verifier of fxChallenge (RFC 7636 Appendix B).
const fxVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

// redeem exchanges a code of app at the token endpoint and returns the
// claims of the ID token.
func (f *fixture) redeem(code string) map[string]any {
	f.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {fxAppCB}, "code_verifier": {fxVerifier}}
	return jwtClaims(f.t, f.postAsApp(oauth.PathToken, form, http.StatusOK, "id_token"))
}

// postAsApp posts form to path as client app (client_secret_basic), wants
// status, and returns the string field of the JSON answer, which must be there.
func (f *fixture) postAsApp(path string, form url.Values, status int, field string) string {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodPost, fxIssuer+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("app", fxSecret)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var body map[string]any
	if w.Code != status || json.Unmarshal(w.Body.Bytes(), &body) != nil {
		f.t.Fatalf("POST %s: %d %s", path, w.Code, w.Body.String())
	}
	v, _ := body[field].(string)
	if v == "" {
		f.t.Fatalf("POST %s: no %s in %s", path, field, w.Body.String())
	}
	return v
}

// jwtClaims decodes a JWT's payload without checking it (the server made it).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	var claims map[string]any
	raw, err := base64.RawURLEncoding.DecodeString(parts[min(1, len(parts)-1)])
	if len(parts) != 3 || err != nil || json.Unmarshal(raw, &claims) != nil {
		t.Fatalf("not a JWT: %q", tok)
	}
	return claims
}

// signIn walks the login page of a parked request with a password and
// returns the page the login POST answered with.
func (b *browser) signIn(handle, username, password string) page {
	b.f.t.Helper()
	lp := b.do(http.MethodGet, oauth.PathLogin+"?request="+url.QueryEscape(handle), nil)
	if lp.Status != http.StatusOK {
		b.f.t.Fatalf("login page: %d", lp.Status)
	}
	form := lp.hidden()
	form.Set("username", username)
	form.Set("password", password)
	return b.do(http.MethodPost, oauth.PathLogin, form)
}

// follow follows redirects within the server until a page, or a redirect
// to a client, and answers the consent page with answer when it meets it.
func (b *browser) follow(p page, answer string) page {
	b.f.t.Helper()
	for range 10 {
		if p.Status != http.StatusSeeOther && p.Status != http.StatusFound || !strings.HasPrefix(p.Location, "/") {
			return p
		}
		p = b.do(http.MethodGet, p.Location, nil)
		if p.Status == http.StatusOK && answer != "" && strings.Contains(p.Body, `name="consent"`) {
			form := p.hidden()
			form.Set("consent", answer)
			p = b.do(http.MethodPost, oauth.PathConsent, form)
		}
	}
	b.f.t.Fatal("too many redirects")
	return p
}
