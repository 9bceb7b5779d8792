package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/account"
	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/console"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

const adminToken = "console-test-admin-token-0123456789abcdef"

// rig is a console on a real admin Server on loopback, over a memstore
// with grants of a file client ("file-app"), a store client ("evil",
// named with a script) and a user whose name claim is a script.
type rig struct {
	t     *testing.T
	url   string
	st    *memstore.Store
	rs    *refresh.Service
	now   time.Time
	token string // a refresh token of file-app's first grant
	// outage, when set, is what the console's store answers a grant's
	// lineage with (outageStore).
	outage error
}

// outageStore is the rig's store as the console sees it: GrantLineage
// fails with the rig's outage while one is set.
type outageStore struct {
	*memstore.Store
	g *rig
}

func (s outageStore) GrantLineage(ctx context.Context, id string) (store.Grant, []store.RefreshToken, error) {
	if s.g.outage != nil {
		return store.Grant{}, nil, s.g.outage
	}
	return s.Store.GrantLineage(ctx, id)
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	g := &rig{t: t, now: time.Now().UTC()}
	clock := func() time.Time { return g.now }
	cfg := config.Default()
	cfg.Issuer = "https://login.example.com"
	cfg.Clients = []config.Client{{ID: "file-app", Name: "File app", Secret: secret.Generate(), GrantTypes: []string{config.GrantClientCredentials}}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	g.st = memstore.New()
	sys := []byte("0123456789abcdef0123456789abcdef")
	g.rs = refresh.New(g.st, mint.NewRefreshKeys(sys), clock, nil)
	g.rs.SetTrail(g.st, "n1")
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	for i, c := range []string{"file-app", "file-app", "evil"} {
		iss, err := g.rs.Issue(ctx, store.Grant{ClientID: c, Subject: "sub-mallory", SessionID: "sid-1", Scopes: []string{"openid", "offline_access"}}, refresh.Proof{}, p)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			g.token = iss.Token
		}
	}
	ev := store.Event{Kind: store.EventClientChanged, Reason: store.ClientCreated}
	if err := g.st.CreateClient(ctx, store.ClientRecord{ID: "evil", Settings: []byte(`{"id":"evil","name":"<script>alert(1)</script>","grant_types":["client_credentials"],"auth_method":"none"}`),
		CreatedAt: g.now, UpdatedAt: g.now}, ev); err != nil {
		t.Fatal(err)
	}
	if err := g.st.CreateUser(ctx, store.User{Subject: "sub-mallory", Username: "mallory", Claims: []byte(`{"name":"<script>alert(2)</script>"}`),
		CreatedAt: g.now, UpdatedAt: g.now}, store.Event{}); err != nil {
		t.Fatal(err)
	}
	ks, err := keys.Open(ctx, g.st, sys, keys.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := web.NewConsole()
	if err != nil {
		t.Fatal(err)
	}
	api := &admin.API{Store: g.st, Config: cfg, Now: clock, Refresh: g.rs, Keys: ks, Clients: directory.NewClients(cfg, g.st, nil, nil)}
	tok := admin.NewToken(adminToken)
	c := &console.Console{Store: outageStore{g.st, g}, Config: cfg, Refresh: g.rs, Keys: ks, Users: directory.NewUsers(cfg, g.st), API: api,
		Token: tok, Sealer: console.Sealer{Key: []byte("session-key-session-key-session-")},
		CSRF: &web.CSRF{Key: []byte("csrf-key-csrf-key-csrf-key-csrf-"), Path: console.Path}, Pages: pages, Now: clock}
	srv, err := admin.New(admin.Options{Authorizers: append([]admin.Authorizer{tok}, c.Authorizers()...), Metrics: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	api.Register(srv)
	c.Register(srv)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	g.url = hs.URL
	return g
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (g *rig) do(b *http.Client, method, path string, form url.Values, header ...string) (*http.Response, string) {
	g.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, g.url+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

var csrfOf = regexp.MustCompile(`action="([^"]*)"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]*)"`)

// forms maps each form's action on a page to its CSRF token.
func forms(page string) map[string]string {
	m := map[string]string{}
	for _, f := range csrfOf.FindAllStringSubmatch(page, -1) {
		m[strings.ReplaceAll(f[1], "&#43;", "+")] = f[2]
	}
	return m
}

// signIn signs b in as name and returns the session cookie's Set-Cookie.
func (g *rig) signIn(b *http.Client, name string) string {
	g.t.Helper()
	_, page := g.do(b, "GET", "/admin/signin", nil)
	resp, body := g.do(b, "POST", "/admin/signin", url.Values{"csrf": {forms(page)["/admin/signin"]}, "name": {name}, "token": {adminToken}})
	if resp.StatusCode != http.StatusSeeOther {
		g.t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, console.CookieName+"=") {
			return sc
		}
	}
	g.t.Fatal("sign-in set no session cookie")
	return ""
}

func (g *rig) live(f store.GrantFilter) int {
	g.t.Helper()
	sums, _, err := g.st.ListGrants(context.Background(), store.GrantQuery{GrantFilter: f, Live: true, Now: g.now})
	if err != nil {
		g.t.Fatal(err)
	}
	return len(sums)
}

// TestSignIn: the form wants its CSRF token, the admin token and a valid
// name; the cookie it sets is HttpOnly, SameSite=Strict, Path=/admin.
func TestSignIn(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	resp, _ := g.do(b, "GET", "/admin/", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/signin" {
		t.Fatalf("GET /admin/ without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := g.do(b, "GET", "/admin/signin", nil)
	csrf := forms(page)["/admin/signin"]
	for name, tc := range map[string]struct {
		form   url.Values
		status int
	}{
		"wrong token": {url.Values{"csrf": {csrf}, "name": {"ana"}, "token": {adminToken + "x"}}, 401},
		"no token":    {url.Values{"csrf": {csrf}, "name": {"ana"}}, 401},
		"bad name":    {url.Values{"csrf": {csrf}, "name": {"ana <b>"}, "token": {adminToken}}, 401},
		"no csrf":     {url.Values{"name": {"ana"}, "token": {adminToken}}, 403},
		"forged csrf": {url.Values{"csrf": {"AAAA"}, "name": {"ana"}, "token": {adminToken}}, 403},
	} {
		resp, _ := g.do(b, "POST", "/admin/signin", tc.form)
		if resp.StatusCode != tc.status || strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ";"), console.CookieName+"=") {
			t.Errorf("%s: %d (cookie %q), want %d and no session", name, resp.StatusCode, resp.Header.Values("Set-Cookie"), tc.status)
		}
	}
	sc := g.signIn(b, "ana")
	for _, want := range []string{"Path=/admin", "HttpOnly", "SameSite=Strict", "Expires="} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	resp, page = g.do(b, "GET", "/admin/", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "Signed in as <strong>ana</strong>") {
		t.Fatalf("GET /admin/ signed in: %d %s", resp.StatusCode, page)
	}
	// Sign out clears the cookie; the console is closed again.
	resp, _ = g.do(b, "POST", "/admin/signout", url.Values{"csrf": {forms(page)["/admin/signout"]}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := g.do(b, "GET", "/admin/keys", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after sign-out, /admin/keys: %d, want 401", resp.StatusCode)
	}
}

// TestCookieNeverOpensTheAPI: the console's cookie opens /admin only; the
// JSON API and /metrics keep the bearer token. The bearer token alone does
// not make a console administrator (no name for the trail).
func TestCookieNeverOpensTheAPI(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	// The cookie as a script would send it, whatever its Path says.
	ck := strings.SplitN(g.signIn(b, "ana"), ";", 2)[0]
	for _, p := range []string{"/api/v1/grants", "/api/v1/keys", "/metrics", "/api/v1/clients"} {
		if resp, body := g.do(b, "GET", p, nil, "Cookie", ck); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s with the console cookie: %d %s, want 401", p, resp.StatusCode, body)
		}
	}
	if resp, _ := g.do(b, "GET", "/admin/keys", nil, "Cookie", ck); resp.StatusCode != 200 {
		t.Fatalf("the same cookie on /admin/keys: %d", resp.StatusCode)
	}
	if resp, _ := g.do(b, "POST", "/api/v1/grants/revoke", url.Values{"client": {"file-app"}}, "Cookie", ck); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/grants/revoke with the console cookie: %d, want 401", resp.StatusCode)
	}
	if resp, _ := g.do(b, "GET", "/api/v1/keys", nil, "Authorization", "Bearer "+adminToken); resp.StatusCode != 200 {
		t.Errorf("the bearer token on the API: %d", resp.StatusCode)
	}
	resp, _ := g.do(browser(t), "GET", "/admin/keys", nil, "Authorization", "Bearer "+adminToken)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/signin" {
		t.Errorf("the bearer token alone on /admin/keys: %d %s, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestRevokeAllOfAClient: the client page's form, confirmed and with its
// token, revokes every grant of the client through the refresh service,
// and the trail names console:ana. Without the token, with another
// administrator's token, or unconfirmed, nothing is revoked.
func TestRevokeAllOfAClient(t *testing.T) {
	g := newRig(t)
	ana, bob := browser(t), browser(t)
	g.signIn(ana, "ana")
	g.signIn(bob, "bob")
	_, page := g.do(ana, "GET", "/admin/clients/file-app", nil)
	tok := forms(page)["/admin/clients/file-app/revoke"]
	_, bobPage := g.do(bob, "GET", "/admin/clients/file-app", nil)
	bobTok := forms(bobPage)["/admin/clients/file-app/revoke"]
	if tok == "" || bobTok == "" {
		t.Fatalf("no revoke form on the client page: %s", page)
	}
	const path = "/admin/clients/file-app/revoke"
	for name, tc := range map[string]struct {
		form   url.Values
		status int
	}{
		"no token":      {url.Values{"confirm": {"yes"}}, 403},
		"bob's token":   {url.Values{"confirm": {"yes"}, "csrf": {bobTok}}, 403},
		"other form's":  {url.Values{"confirm": {"yes"}, "csrf": {forms(page)["/admin/clients/file-app/disable"]}}, 403},
		"not confirmed": {url.Values{"csrf": {tok}}, 400},
	} {
		if resp, body := g.do(ana, "POST", path, tc.form); resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode, body, tc.status)
		}
		if n := g.live(store.GrantFilter{ClientID: "file-app"}); n != 2 {
			t.Fatalf("%s: %d live grants left, want 2: something was revoked", name, n)
		}
	}
	resp, _ := g.do(ana, "POST", path, url.Values{"confirm": {"yes"}, "csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed revoke: %d", resp.StatusCode)
	}
	if n := g.live(store.GrantFilter{ClientID: "file-app"}); n != 0 {
		t.Fatalf("%d grants of file-app still live", n)
	}
	if n := g.live(store.GrantFilter{ClientID: "evil"}); n != 1 {
		t.Fatalf("another client's grant was revoked")
	}
	_, page = g.do(ana, "GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(page, "Revoked 2 grants") {
		t.Errorf("the client page does not say what was done: %s", page)
	}
	evs, _, err := g.st.Events(context.Background(), store.EventFilter{Kind: store.EventRevoked, ClientID: "file-app"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("revoked events: %v %v", evs, err)
	}
	for _, ev := range evs {
		if ev.Actor != "admin" || ev.ActorID != "console:ana" || ev.Reason != admin.ByAdmin {
			t.Errorf("revocation event %+v: want actor admin console:ana, reason admin", ev)
		}
	}
	// The refresh is refused.
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	if _, err := g.rs.Refresh(context.Background(), g.token, "file-app", refresh.Proof{}, p, nil); err == nil {
		t.Error("a revoked grant's refresh token still refreshes")
	}
}

// TestPagesEscapeAndForbidFraming: a client name and a user claim holding
// a script are shown as text; every page carries the strict CSP, DENY
// framing and no-store.
func TestPagesEscapeAndForbidFraming(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	g.signIn(b, "ana")
	for _, p := range []string{"/admin/", "/admin/clients/evil", "/admin/users/sub-mallory", "/admin/reuse", "/admin/keys", "/admin/signin"} {
		resp, page := g.do(b, "GET", p, nil)
		if p == "/admin/signin" {
			resp, page = g.do(browser(t), "GET", p, nil)
		}
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, page)
			continue
		}
		h := resp.Header
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s headers: %v", p, h)
		}
		if strings.Contains(page, "<script") {
			t.Errorf("GET %s: an unescaped script: %s", p, page)
		}
	}
	_, page := g.do(b, "GET", "/admin/clients/evil", nil)
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the client's name is not on its page, escaped: %s", page)
	}
	_, page = g.do(b, "GET", "/admin/users/sub-mallory", nil)
	if !strings.Contains(page, "&lt;script&gt;alert(2)&lt;/script&gt;") || !strings.Contains(page, account.SessionLabel("sid-1")) {
		t.Errorf("the user's name claim or session is not on the page, escaped: %s", page)
	}
}

// TestSearch finds a user by subject and by username, a client, a grant.
func TestSearch(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	g.signIn(b, "ana")
	sums, _, _ := g.st.ListGrants(context.Background(), store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "evil"}})
	for q, want := range map[[2]string]string{
		{"user", "mallory"}:     "/admin/users/sub-mallory",
		{"user", "sub-mallory"}: "/admin/users/sub-mallory",
		{"client", "evil"}:      "/admin/clients/evil",
		{"client", "file-app"}:  "/admin/clients/file-app",
		{"grant", sums[0].ID}:   "/admin/grants/" + url.PathEscape(sums[0].ID),
	} {
		resp, _ := g.do(b, "GET", "/admin/search?"+url.Values{"by": {q[0]}, "q": {q[1]}}.Encode(), nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("search %v: %d %q, want %q", q, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	for _, q := range [][2]string{{"user", "nobody"}, {"client", "nope"}, {"grant", "nope"}, {"what", "x"}} {
		if resp, _ := g.do(b, "GET", "/admin/search?"+url.Values{"by": {q[0]}, "q": {q[1]}}.Encode(), nil); resp.StatusCode != 404 {
			t.Errorf("search %v: %d, want 404", q, resp.StatusCode)
		}
	}
}

// TestDisableClient: a store client is disabled (and, ticked, its grants
// revoked) through the admin API's code; a file client is refused.
func TestDisableClient(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	g.signIn(b, "ana")
	_, page := g.do(b, "GET", "/admin/clients/file-app", nil)
	if _, ok := forms(page)["/admin/clients/file-app/disable"]; ok || !strings.Contains(page, "read-only") {
		t.Errorf("a file client's page offers to disable it: %s", page)
	}
	_, page = g.do(b, "GET", "/admin/clients/evil", nil)
	tok := forms(page)["/admin/clients/evil/disable"]
	resp, body := g.do(b, "POST", "/admin/clients/evil/disable", url.Values{"csrf": {tok}, "confirm": {"yes"}, "option": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d %s", resp.StatusCode, body)
	}
	rec, err := g.st.StoredClient(context.Background(), "evil")
	if err != nil || !rec.Disabled {
		t.Fatalf("client evil after disable: %+v %v", rec, err)
	}
	if n := g.live(store.GrantFilter{ClientID: "evil"}); n != 0 {
		t.Errorf("%d grants of the disabled client still live", n)
	}
	evs, _, _ := g.st.Events(context.Background(), store.EventFilter{Kind: store.EventClientChanged, ClientID: "evil"})
	found := false
	for _, ev := range evs {
		found = found || ev.Reason == store.ClientDisabled && ev.Actor == "admin" && ev.ActorID == "console:ana"
	}
	if !found {
		t.Errorf("no client_changed disabled event by console:ana: %+v", evs)
	}
}

// TestRevokeOneGrantAndAUser: a grant's own form revokes it alone (a
// second time says it was revoked already); a user's revoke-all takes
// every grant of the subject; both as console:ana.
func TestRevokeOneGrantAndAUser(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	g.signIn(b, "ana")
	sums, _, _ := g.st.ListGrants(context.Background(), store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "evil"}})
	id := sums[0].ID
	path := "/admin/grants/" + url.PathEscape(id) + "/revoke"
	_, page := g.do(b, "GET", "/admin/grants/"+url.PathEscape(id), nil)
	tok := forms(page)[path]
	if tok == "" {
		t.Fatalf("no revoke form for %s on its page: %s", path, page)
	}
	resp, _ := g.do(b, "POST", path, url.Values{"csrf": {tok}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || g.live(store.GrantFilter{ClientID: "evil"}) != 0 || g.live(store.GrantFilter{ClientID: "file-app"}) != 2 {
		t.Fatalf("revoke one grant: %d; live evil %d, file-app %d", resp.StatusCode, g.live(store.GrantFilter{ClientID: "evil"}), g.live(store.GrantFilter{ClientID: "file-app"}))
	}
	resp, _ = g.do(b, "POST", path, url.Values{"csrf": {tok}, "confirm": {"yes"}})
	if _, page = g.do(b, "GET", resp.Header.Get("Location"), nil); !strings.Contains(page, "revoked already") {
		t.Errorf("a second revoke of the grant does not say it was revoked already")
	}
	_, page = g.do(b, "GET", "/admin/users/sub-mallory", nil)
	resp, _ = g.do(b, "POST", "/admin/users/sub-mallory/revoke", url.Values{"csrf": {forms(page)["/admin/users/sub-mallory/revoke"]}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || g.live(store.GrantFilter{Subject: "sub-mallory"}) != 0 {
		t.Fatalf("revoke the user's grants: %d, %d left", resp.StatusCode, g.live(store.GrantFilter{Subject: "sub-mallory"}))
	}
	evs, _, _ := g.st.Events(context.Background(), store.EventFilter{Kind: store.EventRevoked, Subject: "sub-mallory"})
	if len(evs) != 3 {
		t.Fatalf("%d revoked events, want 3", len(evs))
	}
	for _, ev := range evs {
		if ev.ActorID != "console:ana" {
			t.Errorf("revocation by %q", ev.ActorID)
		}
	}
}
