package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// consoleRig is a real server with its admin listener, and grants made
// with x/oauth2's password grant: three of client "app" (alice twice,
// bob), one of "app2" whose token was replayed (a reuse detection).
type consoleRig struct {
	e       *env
	base    string // the admin listener
	ctx     context.Context
	app     *oauth2.Config
	appToks []*oauth2.Token
	app2    *oauth2.Config
	app2Tok *oauth2.Token
}

func newConsoleRig(t *testing.T) *consoleRig {
	t.Helper()
	e, base := startAdmin(t)
	r := &consoleRig{e: e, base: base, ctx: context.Background(),
		app: e.oauth2Config("app", secretApp, "openid", "offline_access"), app2: e.oauth2Config("app2", secretApp2, "openid", "offline_access")}
	grant := func(conf *oauth2.Config, user string) *oauth2.Token {
		tok, err := conf.PasswordCredentialsToken(r.ctx, user, alicePW)
		if err != nil {
			t.Fatalf("%s signs in %s: %v", conf.ClientID, user, err)
		}
		e.secrets = append(e.secrets, tok.AccessToken, tok.RefreshToken)
		return tok
	}
	r.appToks = []*oauth2.Token{grant(r.app, "alice"), grant(r.app, "alice"), grant(r.app, "bob")}
	// app2: refreshed twice, then its first token comes back: reuse.
	first := grant(r.app2, "alice")
	cur := first
	for range 2 {
		old := *cur
		old.Expiry = time.Now().Add(-time.Minute)
		next, err := r.app2.TokenSource(r.ctx, &old).Token()
		if err != nil {
			t.Fatalf("app2 refresh: %v", err)
		}
		e.secrets = append(e.secrets, next.AccessToken, next.RefreshToken)
		cur = next
	}
	if !refuses(t, r.app2, r.ctx, first) {
		t.Fatal("the replayed token was not refused")
	}
	r.app2Tok = grant(r.app2, "bob") // a live grant of app2, which the console must leave alone
	// alice signs in through the browser pages too: a live session of
	// hers the user page lists (its code is left unredeemed).
	_, challenge := pkce()
	if loc, _ := e.browser().walk(e.authURL(codeRequest(challenge, nil)), alice()); loc.Query().Get("code") == "" {
		t.Fatalf("alice's browser sign-in: %v", loc)
	}
	return r
}

// walkConsole drives the console in Chromium as an administrator would,
// in lang (asked for once with ui_locales, kept by the console after it):
// sign in as ana, search client "app", revoke all its grants with the
// confirmation ticked; then the user, grant, reuse and keys pages. shot
// is called on each page.
func walkConsole(t *testing.T, r *consoleRig, lang web.Lang, shot func(ctx context.Context, name string)) {
	ctx := chromium(t)
	// Selectors are chromedp.CSS: a plain string is a DOM search, which also
	// matches the text of the page's inline style ("h1 {").
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("sign-in page", steps(ctx, chromedp.Navigate(r.base+"/admin/signin?ui_locales="+string(lang)), chromedp.WaitVisible(chromedp.CSS(`#token`))))
	shot(ctx, "signin")
	must("sign in", steps(ctx, chromedp.SendKeys(chromedp.CSS(`#name`), "ana"), chromedp.SendKeys(chromedp.CSS(`#token`), adminToken),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`form.search`))))
	shot(ctx, "search")
	must("search client", steps(ctx, chromedp.SetValue(chromedp.CSS(`#by`), "client"), chromedp.SendKeys(chromedp.CSS(`#q`), "app"),
		chromedp.Click(chromedp.CSS(`form.search button`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/clients/app/revoke"]`))))
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`main`)))
	must("client page", err)
	if n := strings.Count(html, `action="/admin/grants/`); n != 3 {
		t.Errorf("the client page lists %d revocable grants of app, want 3", n)
	}
	shot(ctx, "client")
	const form = `form[action="/admin/clients/app/revoke"]`
	must("revoke all", steps(ctx, chromedp.Click(chromedp.CSS(form+` input[name=confirm]`)), chromedp.Click(chromedp.CSS(form+` button`)),
		chromedp.WaitVisible(chromedp.CSS(`.done`))))
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.done`)))
	must("done note", err)
	if !strings.Contains(done, web.TextWith(lang, "console_done_revoked", "3")) {
		t.Errorf("after revoke all, the page says %q", done)
	}
	shot(ctx, "client-revoked")
	must("user page", steps(ctx, chromedp.Navigate(r.base+"/admin/users/sub-alice"), chromedp.WaitVisible(chromedp.CSS(`h1`))))
	user, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`html`)))
	must("user page", err)
	if !strings.Contains(user, `lang="`+string(lang)+`"`) || !strings.Contains(user, web.Text(lang, "console_sessions_lead")) {
		t.Errorf("the user page is not in %s", lang)
	}
	if strings.Contains(user, web.Text(lang, "console_no_sessions")) {
		t.Errorf("the user page lists no live session of alice's")
	}
	shot(ctx, "user")
	must("reuse page", steps(ctx, chromedp.Navigate(r.base+"/admin/reuse"), chromedp.WaitVisible(chromedp.CSS(`table`))))
	reuse, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`tbody`)))
	must("reuse rows", err)
	if !strings.Contains(reuse, "app2") || !strings.Contains(reuse, "127.0.0.1") {
		t.Errorf("the reuse page does not show app2's detection with addresses: %q", reuse)
	}
	shot(ctx, "reuse")
	must("grant page", steps(ctx, chromedp.Click(chromedp.CSS(`tbody a code`)), chromedp.WaitVisible(chromedp.CSS(`h1 code`))))
	shot(ctx, "grant")
	must("keys page", steps(ctx, chromedp.Navigate(r.base+"/admin/keys"), chromedp.WaitVisible(chromedp.CSS(`table`))))
	shot(ctx, "keys")
}

// TestChromiumConsole: an administrator signs in to the console on the
// real admin listener, finds client "app" and revokes all its grants with
// the confirmation; every one of its refreshes is then refused
// (invalid_grant), app2's grant lives on, and the audit trail names
// console:ana for each revocation. The walk runs in English and in
// bokmål, chosen once with ui_locales and kept across the console's links
// and forms (the revoke then says so in bokmål).
func TestChromiumConsole(t *testing.T) {
	for _, lang := range []web.Lang{web.EN, web.NB} {
		t.Run(string(lang), func(t *testing.T) {
			r := newConsoleRig(t)
			walkConsole(t, r, lang, func(context.Context, string) {})
			for i, tok := range r.appToks {
				if !refuses(t, r.app, r.ctx, tok) {
					t.Errorf("app's grant %d still refreshes after the console revoked them all", i)
				}
			}
			if refuses(t, r.app2, r.ctx, r.app2Tok) {
				t.Error("app2's grant was refused: the console revoked more than app's")
			}
			var page admin.EventPage
			if code, body := adminJSON(t, r.base, "GET", "/audit?kind=revoked&client=app", nil, &page); code != 200 {
				t.Fatalf("audit: %d %s", code, body)
			}
			if len(page.Items) != 3 {
				t.Fatalf("%d revoked events of app, want 3: %+v", len(page.Items), page.Items)
			}
			for _, ev := range page.Items {
				if ev.Actor != "admin" || ev.ActorID != "console:ana" {
					t.Errorf("revocation event by %s %q, want admin console:ana", ev.Actor, ev.ActorID)
				}
			}
		})
	}
}

// TestChromiumConsoleScreenshots writes console-*.png, and console-*-nb.png
// in bokmål, with the screenshot switch (TOLLGATE_SCREENSHOTS).
func TestChromiumConsoleScreenshots(t *testing.T) {
	dir := os.Getenv("TOLLGATE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set TOLLGATE_SCREENSHOTS to a folder to write screenshots")
	}
	for _, lang := range []web.Lang{web.EN, web.NB} {
		suffix := ""
		if lang == web.NB {
			suffix = "-nb"
		}
		r := newConsoleRig(t)
		walkConsole(t, r, lang, func(ctx context.Context, name string) {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "console-"+name+suffix+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestConsoleOnlyOnTheAdminListener: the public listener has no /admin;
// on the admin listener, a POST without its CSRF token revokes nothing,
// and every console page forbids framing.
func TestConsoleOnlyOnTheAdminListener(t *testing.T) {
	r := newConsoleRig(t)
	for _, p := range []string{"/admin", "/admin/", "/admin/signin", "/admin/clients/app"} {
		resp, err := http.Get(r.e.issuer + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("public listener GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar}
	get := func(p string) (*http.Response, string) {
		resp, err := b.Get(r.base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	_, page := get("/admin/signin")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no CSRF token on the sign-in page: %s", page)
	}
	resp, err := b.PostForm(r.base+"/admin/signin", url.Values{"csrf": {csrf[1]}, "name": {"ana"}, "token": {adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, page = get("/admin/clients/app")
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("client page: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = b.PostForm(r.base+"/admin/clients/app/revoke", url.Values{"confirm": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a revoke without its CSRF token: %d, want 403", resp.StatusCode)
	}
	for i, tok := range r.appToks {
		if refuses(t, r.app, r.ctx, tok) {
			t.Errorf("app's grant %d was revoked by a POST without its CSRF token", i)
		}
	}
}
