package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

const (
	secretEvil = "evil-secret-0123456789abcdefghijklmnopqrstu"
	evilName   = `<script>document.title="pwned"</script>Evil & Co`
)

// startForAccount adds a client whose name is markup, to see it shown as text.
func startForAccount(t *testing.T) *env {
	return startWith(t, func(c *config.Config) {
		c.Clients = append(c.Clients, config.Client{ID: "evil", Name: evilName, Type: "confidential",
			AuthMethod: "client_secret_basic", Secret: secretEvil, GrantTypes: []string{"password", "refresh_token"},
			Scopes: []string{"openid", "profile", "offline_access"}, AllowOfflineAccess: true})
	})
}

// offlineToken gives an application a refresh token for user with
// golang.org/x/oauth2's password grant.
func offlineToken(t *testing.T, e *env, client, secret, user string) (*oauth2.Config, *oauth2.Token) {
	t.Helper()
	conf := e.oauth2Config(client, secret, "openid", "profile", "offline_access")
	tok, err := conf.PasswordCredentialsToken(context.Background(), user, alicePW)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("password grant for %s: %v", client, err)
	}
	return conf, tok
}

// refreshErr refreshes with x/oauth2 and returns the OAuth error code, "" on success.
func refreshErr(t *testing.T, conf *oauth2.Config, tok *oauth2.Token) string {
	t.Helper()
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute)
	next, err := conf.TokenSource(context.Background(), &old).Token()
	if err == nil {
		*tok = *next
		return ""
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("refresh: %v", err)
	}
	return re.ErrorCode
}

// liveGrantOf is the id of subject's live grant for client.
func liveGrantOf(t *testing.T, e *env, client, subject string) string {
	t.Helper()
	gs, _, err := e.app.Store.ListGrants(context.Background(), store.GrantQuery{
		GrantFilter: store.GrantFilter{ClientID: client, Subject: subject}, Live: true, Now: e.clk.Now()})
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants of %s for %s: %v %v", subject, client, gs, err)
	}
	return gs[0].ID
}

// openAccount signs alice in to /account through the usual login page.
func openAccount(t *testing.T, ctx context.Context, e *env, lang string) {
	t.Helper()
	err := steps(ctx,
		chromedp.Navigate(e.issuer+"/account?ui_locales="+lang),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "alice"),
		chromedp.SendKeys(`input[name=password]`, alicePW),
		chromedp.Click(`form button[type=submit]`),
		chromedp.WaitVisible(`#signout`),
	)
	if err != nil {
		t.Fatalf("signing in to /account: %v", err)
	}
}

// browserRequest sends a request with the browser's cookies for the server.
func browserRequest(t *testing.T, ctx context.Context, e *env, method, path string, form url.Values) *http.Response {
	t.Helper()
	res0, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.issuer + "/account/"}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := res0.Cookies
	req, _ := http.NewRequest(method, e.issuer+path, strings.NewReader(form.Encode()))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestChromiumAccount: a person signs in to /account, sees the application
// holding offline access, removes it, and the application's next refresh is
// refused with invalid_grant. The page refuses a POST without its CSRF token
// and another person's grant, cannot be framed, and shows a client's name
// as text.
func TestChromiumAccount(t *testing.T) {
	ctx := chromium(t)
	e := startForAccount(t)
	journalConf, journalTok := offlineToken(t, e, "app", secretApp, "alice")
	evilConf, evilTok := offlineToken(t, e, "evil", secretEvil, "alice")
	bobConf, bobTok := offlineToken(t, e, "app", secretApp, "bob")

	openAccount(t, ctx, e, "en")
	names := got(chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("article h3")].map(h => h.textContent)`)))(t)
	title := got(chromedp.Run(ctx, chromedp.Title()))(t)
	scripts := got(chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`)))(t)
	if !slices.Contains(names, "Journal") || !slices.Contains(names, evilName) || len(names) != 2 {
		t.Fatalf("applications shown: %q; want Journal and the evil name as text", names)
	}
	if scripts != 0 || strings.Contains(title, "pwned") {
		t.Fatalf("a client's name ran as script (title %q, %d scripts)", title, scripts)
	}

	// Framing: the page may be framed by no one.
	page := browserRequest(t, ctx, e, http.MethodGet, "/account", nil)
	if page.StatusCode != 200 || page.Header.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(page.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("GET /account: %d, X-Frame-Options %q, CSP %q", page.StatusCode, page.Header.Get("X-Frame-Options"), page.Header.Get("Content-Security-Policy"))
	}

	// CSRF: the browser's own cookies, but no token (or a made-up one): refused, nothing revoked.
	evilGrant := liveGrantOf(t, e, "evil", "sub-alice")
	for _, form := range []url.Values{{"grant": {evilGrant}}, {"grant": {evilGrant}, "csrf": {"AAAA"}}} {
		if res := browserRequest(t, ctx, e, http.MethodPost, "/account/remove", form); res.StatusCode != http.StatusForbidden {
			t.Fatalf("remove without a CSRF token: %d, want 403", res.StatusCode)
		}
	}
	if code := refreshErr(t, evilConf, evilTok); code != "" {
		t.Fatalf("a refused POST revoked the grant: %s", code)
	}

	// Another person's grant, with a valid token: 404, and bob keeps his access.
	csrf := got(chromedp.Run(ctx, chromedp.Value(`form input[name=csrf]`)))(t)
	bobGrant := liveGrantOf(t, e, "app", "sub-bob")
	if res := browserRequest(t, ctx, e, http.MethodPost, "/account/remove", url.Values{"grant": {bobGrant}, "csrf": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Fatalf("removing bob's grant: %d, want 404", res.StatusCode)
	}
	if code := refreshErr(t, bobConf, bobTok); code != "" {
		t.Fatalf("bob's grant was touched: %s", code)
	}

	// Remove access, as a person does.
	if err := steps(ctx, chromedp.Click(`button[aria-label="Remove access for Journal"]`), chromedp.WaitVisible(`#notice`)); err != nil {
		t.Fatal(err)
	}
	notice := got(chromedp.Run(ctx, chromedp.Text(`#notice`)))(t)
	names = got(chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("article h3")].map(h => h.textContent)`)))(t)
	if !strings.Contains(notice, "Journal no longer has access") || slices.Contains(names, "Journal") {
		t.Fatalf("after removing: notice %q, applications %q", notice, names)
	}
	if code := refreshErr(t, journalConf, journalTok); code != "invalid_grant" {
		t.Fatalf("Journal's refresh after removal: %q, want invalid_grant", code)
	}
	if code := refreshErr(t, evilConf, evilTok); code != "" {
		t.Fatalf("the other application lost access too: %s", code)
	}
	revoked := grantOfRevoked(t, e)
	evs, _, err := e.app.Store.Events(context.Background(), store.EventFilter{GrantID: revoked, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		found = found || (ev.Actor == "user" && ev.ActorID == "sub-alice")
	}
	if !found {
		t.Fatalf("no audit event of the removal by the user: %+v", evs)
	}

	// Signing out of Tollgate ends the account page at once, not when its
	// own cookie expires: the browser's Tollgate session is gone.
	if res := browserRequest(t, ctx, e, http.MethodGet, "/account", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /account while signed in: %d", res.StatusCode)
	}
	jar, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.issuer + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	ended := false
	for _, c := range jar.Cookies {
		if c.Name == "tollgate_session" {
			ended = e.app.Store.DeleteSession(context.Background(), mint.HashToken(c.Value)) == nil
		}
	}
	if !ended {
		t.Fatal("the browser holds no Tollgate session to end")
	}
	// A new sign-in: 303 to the authorization endpoint, not an error page.
	res := browserRequest(t, ctx, e, http.MethodGet, "/account", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(loc, strings.TrimSuffix(e.issuer, "/")+"/connect/authorize?") {
		t.Fatalf("GET /account after the Tollgate session ended: %d to %q, want 303 to /connect/authorize", res.StatusCode, loc)
	}
}

// grantOfRevoked is alice's Journal grant, revoked.
func grantOfRevoked(t *testing.T, e *env) string {
	t.Helper()
	gs, _, err := e.app.Store.ListGrants(context.Background(), store.GrantQuery{
		GrantFilter: store.GrantFilter{ClientID: "app", Subject: "sub-alice"}})
	if err != nil || len(gs) != 1 || !gs[0].Revoked() {
		t.Fatalf("alice's Journal grant: %+v %v", gs, err)
	}
	return gs[0].ID
}

// got returns a browser action's result, or fails the test.
func got[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestChromiumAccountScreenshots saves the account page in both languages,
// and its empty state, when TOLLGATE_SCREENSHOTS names a folder.
func TestChromiumAccountScreenshots(t *testing.T) {
	dir := os.Getenv("TOLLGATE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set TOLLGATE_SCREENSHOTS to a folder to write screenshots")
	}
	e := startWith(t, nil)
	offlineToken(t, e, "app", secretApp, "alice")
	offlineToken(t, e, "app2", secretApp2, "alice")
	shots := map[string][]byte{}
	for _, lang := range []string{"en", "nb"} {
		ctx := chromium(t) // a fresh browser: signs in again
		openAccount(t, ctx, e, lang)
		shots["account-"+lang] = got(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t)
	}
	ctx := chromium(t)
	if err := steps(ctx, chromedp.Navigate(e.issuer+"/account?ui_locales=en"), chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "bob"), chromedp.SendKeys(`input[name=password]`, alicePW),
		chromedp.Click(`form button[type=submit]`), chromedp.WaitVisible(`#no-apps`)); err != nil {
		t.Fatal(err)
	}
	shots["account-empty-en"] = got(chromedp.Run(ctx, chromedp.FullScreenshot(100)))(t)
	for name, b := range shots {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
