package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// chromium returns a headless Chromium context, or skips when there is no
// Chromium (CI installs it, and there the test must run).
func chromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed; .ci/run installs it")
		}
		t.Skip("Chromium is not installed (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// The first call starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// steps runs browser actions with a bound on their time.
func steps(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// clientApp is the relying party's callback: a loopback server that
// records what the browser brings back (query, or a form_post body).
type clientApp struct {
	srv  *httptest.Server
	mu   sync.Mutex
	form map[string]string
}

func newClientApp(t *testing.T) *clientApp {
	a := &clientApp{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_ = r.ParseForm()
			a.mu.Lock()
			a.form = map[string]string{}
			for k := range r.PostForm {
				a.form[k] = r.PostForm.Get(k)
			}
			a.mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<!doctype html><title>client</title><p id=done>back at the client</p>"))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *clientApp) callback() string { return a.srv.URL + "/cb" }

// startWithBrowserClient runs the server with a client "rp" whose redirect
// URI is the clientApp.
func startWithBrowserClient(t *testing.T, app *clientApp) *env {
	return startWith(t, func(c *config.Config) {
		c.Clients = append(c.Clients, config.Client{ID: "rp", Name: "Pasientjournal", Type: "confidential",
			AuthMethod: "client_secret_basic", Secret: secretApp, Scopes: []string{"openid", "profile", "email", "offline_access"},
			GrantTypes: []string{"authorization_code", "refresh_token"}, AllowOfflineAccess: true, RequirePKCE: true,
			RedirectURIs:  []string{app.callback()},
			ResponseTypes: []string{"code", "code id_token", "code token", "code id_token token"}})
	})
}

// signInWithChromium drives the login and consent pages as a person would.
func signInWithChromium(ctx context.Context, authURL, callback string) (string, error) {
	err := steps(ctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "alice"),
		chromedp.SendKeys(`input[name=password]`, alicePW),
		chromedp.Click(`form button[type=submit]`),
		chromedp.WaitVisible(`button[name=consent][value=allow]`),
		chromedp.Click(`button[name=consent][value=allow]`),
		chromedp.WaitVisible(`#done`),
	)
	if err != nil {
		return "", err
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err == nil && !strings.HasPrefix(loc, callback) {
		return loc, context.DeadlineExceeded
	}
	return loc, err
}

// TestChromiumSignIn walks the code flow with PKCE and each hybrid response
// type in a real headless Chromium, verifies the ID token with go-oidc and
// refreshes with x/oauth2.
func TestChromiumSignIn(t *testing.T) {
	ctx := chromium(t)
	app := newClientApp(t)
	e := startWithBrowserClient(t, app)
	conf := &oauth2.Config{ClientID: "rp", ClientSecret: secretApp, RedirectURL: app.callback(),
		Scopes:   []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "/connect/authorize", TokenURL: e.tokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := e.verifier("rp")
	for i, rt := range []string{"code", "code id_token", "code token", "code id_token token"} {
		t.Run(rt, func(t *testing.T) {
			pkceVerifier := oauth2.GenerateVerifier()
			opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pkceVerifier),
				oauth2.SetAuthURLParam("response_type", rt), oauth2.SetAuthURLParam("nonce", "nonce-1")}
			if i > 0 { // the browser is signed in: prompt=login asks for the password again
				opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
			}
			authURL := conf.AuthCodeURL("state-"+rt, opts...)
			loc, err := signInWithChromium(ctx, authURL, app.callback())
			if err != nil {
				t.Fatalf("browser flow: %v (at %s)", err, loc)
			}
			u, _ := parseURL(loc)
			params := u.Query()
			if rt != "code" {
				params = fragmentParams(u.Fragment)
			}
			if params.Get("state") != "state-"+rt || params.Get("iss") != e.issuer {
				t.Fatalf("callback %s", loc)
			}
			tok, err := conf.Exchange(context.Background(), params.Get("code"), oauth2.VerifierOption(pkceVerifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			id, err := verifier.Verify(context.Background(), tok.Extra("id_token").(string))
			if err != nil || id.Nonce != "nonce-1" || id.Subject != "sub-alice" {
				t.Fatalf("ID token: %v", err)
			}
			if tok.RefreshToken == "" {
				t.Fatal("no refresh token after consenting to offline access")
			}
			tok.Expiry = time.Now().Add(-time.Minute)
			if _, err := conf.TokenSource(context.Background(), tok).Token(); err != nil {
				t.Fatalf("refresh: %v", err)
			}
		})
	}
}

// TestChromiumScreenshots saves the sign-in pages in both languages when
// TOLLGATE_SCREENSHOTS names a folder (docs/screenshots in the repository):
//
//	TOLLGATE_SCREENSHOTS=$PWD/docs/screenshots go test -run Screenshots ./e2e/
func TestChromiumScreenshots(t *testing.T) {
	dir := os.Getenv("TOLLGATE_SCREENSHOTS")
	if dir == "" {
		t.Skip("set TOLLGATE_SCREENSHOTS to a folder to write screenshots")
	}
	ctx := chromium(t)
	app := newClientApp(t)
	e := startWithBrowserClient(t, app)
	for _, lang := range []string{"en", "nb"} {
		conf := &oauth2.Config{ClientID: "rp", RedirectURL: app.callback(), Scopes: []string{"openid", "profile", "email", "offline_access"},
			Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "/connect/authorize"}}
		authURL := conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("ui_locales", lang), oauth2.SetAuthURLParam("prompt", "login"))
		shot := func() []byte {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			return png
		}
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(steps(ctx, chromedp.Navigate(authURL), chromedp.WaitVisible(`input[name=username]`)))
		login := shot()
		must(steps(ctx, chromedp.SendKeys(`input[name=username]`, "alice"), chromedp.SendKeys(`input[name=password]`, "wrong"),
			chromedp.Click(`form button[type=submit]`), chromedp.WaitVisible(`[role=alert]`)))
		failed := shot()
		must(steps(ctx, chromedp.SendKeys(`input[name=password]`, alicePW), chromedp.Click(`form button[type=submit]`),
			chromedp.WaitVisible(`button[name=consent][value=allow]`)))
		consent := shot()
		for name, png := range map[string][]byte{"login": login, "login-failed": failed, "consent": consent} {
			if err := os.WriteFile(filepath.Join(dir, name+"-"+lang+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestChromiumFormPost: with response_mode=form_post the browser posts the
// response to the client by itself (the page's one script, allowed by its
// CSP hash).
func TestChromiumFormPost(t *testing.T) {
	ctx := chromium(t)
	app := newClientApp(t)
	e := startWithBrowserClient(t, app)
	conf := &oauth2.Config{ClientID: "rp", ClientSecret: secretApp, RedirectURL: app.callback(),
		Scopes:   []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "/connect/authorize", TokenURL: e.tokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}
	pkceVerifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("fp", oauth2.S256ChallengeOption(pkceVerifier), oauth2.SetAuthURLParam("response_type", "code id_token"),
		oauth2.SetAuthURLParam("response_mode", "form_post"), oauth2.SetAuthURLParam("nonce", "n-fp"))
	if _, err := signInWithChromium(ctx, authURL, app.callback()); err != nil {
		t.Fatalf("browser flow: %v", err)
	}
	app.mu.Lock()
	got := app.form
	app.mu.Unlock()
	if got["state"] != "fp" || got["code"] == "" || got["id_token"] == "" || got["iss"] != e.issuer {
		t.Fatalf("the client received %v", got)
	}
	id, err := e.verifier("rp").Verify(context.Background(), got["id_token"])
	if err != nil || id.Nonce != "n-fp" {
		t.Fatalf("posted ID token: %v", err)
	}
	if _, err := conf.Exchange(context.Background(), got["code"], oauth2.VerifierOption(pkceVerifier)); err != nil {
		t.Fatalf("exchange: %v", err)
	}
}
