package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
	"github.com/tollgate-oidc/tollgate/internal/testlog"
)

// clock is the injected clock the tests move by hand.
type clock = testclock.Clock

// Secrets of the test clients (>= 32 characters, as Tollgate requires).
const (
	secretApp   = "app-secret-0123456789abcdefghijklmnopqrstuv"
	secretApp2  = "app2-secret-0123456789abcdefghijklmnopqrstu"
	secretNoOff = "nooffline-secret-0123456789abcdefghijklmnop"
	secretReuse = "reuse-secret-0123456789abcdefghijklmnopqrst"
	secretShort = "short-secret-0123456789abcdefghijklmnopqrst"
	secretWeb   = "web-secret-0123456789abcdefghijklmnopqrstuvw"
	alicePW     = "correct horse battery staple"
)

// syncBuffer collects the log lines of the code under test.
type syncBuffer = testlog.Buffer

// env is one running server.
type env struct {
	t       testing.TB
	issuer  string
	app     *app.App
	clk     *clock
	logs    *syncBuffer
	dir     string
	jwtKey  *ecdsa.PrivateKey
	cancel  context.CancelFunc
	done    chan error
	secrets []string // every value that must never appear in a log
}

// testConfig is the configuration the tests run against. edit may change it
// before it is finished.
func testConfig(issuer, dir string, jwtKey *ecdsa.PrivateKey, edit func(*config.Config)) *config.Config {
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: jwtKey.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	raw, _ := json.Marshal(jwks)
	var jwksMap map[string]any
	_ = json.Unmarshal(raw, &jwksMap)
	offline := []string{"openid", "profile", "email", "offline_access", "api"}
	short := 10 * time.Second
	idle, maxLife := time.Hour, 3*time.Hour
	reuse := config.RotationReuse
	cfg := &config.Config{
		Issuer:           issuer,
		Listen:           strings.TrimPrefix(issuer, "http://"),
		Storage:          "sqlite:" + filepath.Join(dir, "tollgate.db"),
		SystemSecretFile: filepath.Join(dir, "system.key"),
		LogLevel:         "debug",
		Clients: []config.Client{
			{ID: "app", Name: "Journal", Type: "confidential", AuthMethod: "client_secret_basic", Secret: secretApp,
				GrantTypes: []string{"password", "refresh_token", "client_credentials", "authorization_code"},
				Scopes:     offline, AllowOfflineAccess: true, RedirectURIs: []string{"https://app.example/cb"},
				ResponseTypes:          []string{"code", "code id_token", "code token", "code id_token token"},
				PostLogoutRedirectURIs: []string{"https://app.example/bye"}},
			{ID: "web", Name: "Web portal", Type: "confidential", AuthMethod: "client_secret_basic", Secret: secretWeb,
				GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: offline, AllowOfflineAccess: true,
				RedirectURIs: []string{"https://web.example/cb"}, RequirePAR: true, RevokeOnLogout: true},
			{ID: "app2", Type: "confidential", AuthMethod: "client_secret_post", Secret: secretApp2,
				GrantTypes: []string{"password", "refresh_token"}, Scopes: offline, AllowOfflineAccess: true},
			{ID: "nooffline", Type: "confidential", AuthMethod: "client_secret_basic", Secret: secretNoOff,
				GrantTypes: []string{"password", "client_credentials"}, Scopes: []string{"openid", "profile", "api"}},
			{ID: "reuse", Type: "confidential", AuthMethod: "client_secret_basic", Secret: secretReuse,
				GrantTypes: []string{"password", "refresh_token"}, Scopes: offline, AllowOfflineAccess: true,
				TokensOverride: &config.TokensPatch{RefreshToken: &config.RefreshTokenPatch{Rotation: &reuse}}},
			{ID: "short", Type: "confidential", AuthMethod: "client_secret_basic", Secret: secretShort,
				GrantTypes: []string{"password", "refresh_token"}, Scopes: offline, AllowOfflineAccess: true,
				TokensOverride: &config.TokensPatch{RefreshToken: &config.RefreshTokenPatch{
					IdleLifetime: &idle, MaxLifetime: &maxLife, ReuseGrace: &short}}},
			{ID: "spa", Name: "Timeplan", Type: "public", AuthMethod: "none",
				GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"},
				RedirectURIs: []string{"https://spa.example/cb", "com.example.timeplan:/cb"}},
			{ID: "jwt", Type: "confidential", AuthMethod: "private_key_jwt", JWKS: jwksMap,
				GrantTypes: []string{"password", "refresh_token"}, Scopes: offline, AllowOfflineAccess: true},
		},
		Users: []config.User{
			{Username: "alice", Password: alicePW, Subject: "sub-alice",
				Claims: map[string]any{"name": "Alice Nordmann", "email": "alice@example.no", "email_verified": true, "hpr_number": "123456"}},
			{Username: "bob", Password: alicePW, Subject: "sub-bob", Claims: map[string]any{"name": "Bob"}},
		},
	}
	if edit != nil {
		edit(cfg)
	}
	return cfg
}

// start runs a server on a loopback port, on a fresh SQLite file.
func start(t testing.TB) *env { t.Helper(); return startWith(t, nil) }

// startWith is start with the test configuration changed by edit.
func startWith(t testing.TB, edit func(*config.Config)) *env {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: t.TempDir(), jwtKey: key, clk: testclock.At(time.Now().Truncate(time.Second))}
	e.secrets = []string{secretApp, secretApp2, secretNoOff, secretReuse, secretShort, secretWeb, alicePW}
	e.run(edit)
	t.Cleanup(e.stop)
	return e
}

// run starts (or restarts) the server with the config edited by edit.
func (e *env) run(edit func(*config.Config)) {
	t := e.t
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if e.issuer == "" {
		e.issuer = "http://" + l.Addr().String()
	} else {
		l.Close()
		if l, err = net.Listen("tcp", strings.TrimPrefix(e.issuer, "http://")); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(e.issuer, e.dir, e.jwtKey, edit)
	if err := cfg.Finish(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	if e.logs == nil {
		e.logs = &syncBuffer{}
	}
	log := app.NewLoggerAt(e.logs, cfg.LogFormat, slog.LevelDebug) // the server's own logger, at debug
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.Options{Now: e.clk.Now, Log: log})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	e.app, e.cancel, e.done = a, cancel, make(chan error, 1)
	go func() { e.done <- a.Serve(ctx, l) }()
}

func (e *env) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	if err := <-e.done; err != nil && err != http.ErrServerClosed {
		e.t.Errorf("serve: %v", err)
	}
	e.app.Close()
	e.cancel = nil
}

func (e *env) restart(edit func(*config.Config)) {
	e.stop()
	e.run(edit)
}

func (e *env) tokenURL() string { return e.issuer + "/connect/token" }

// oauth2Config is a golang.org/x/oauth2 client for a confidential test client.
func (e *env) oauth2Config(id, secret string, scopes ...string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if id == "app2" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{ClientID: id, ClientSecret: secret, Scopes: scopes,
		Endpoint: oauth2.Endpoint{TokenURL: e.tokenURL(), AuthStyle: style}}
}

// redeemApp redeems the code a browser walk brought back to the client
// "app" (redirect https://app.example/cb) with x/oauth2, with the PKCE
// verifier, and returns the tokens and the raw ID token.
func (e *env) redeemApp(t *testing.T, loc *url.URL, verifier string) (*oauth2.Token, string) {
	t.Helper()
	conf := e.oauth2Config("app", secretApp)
	conf.RedirectURL = "https://app.example/cb"
	tok, err := conf.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok, tok.Extra("id_token").(string)
}

// verifier checks ID tokens through discovery and JWKS with go-oidc.
func (e *env) verifier(clientID string) *oidc.IDTokenVerifier {
	e.t.Helper()
	p, err := oidc.NewProvider(context.Background(), e.issuer)
	if err != nil {
		e.t.Fatalf("discovery: %v", err)
	}
	return p.Verifier(&oidc.Config{ClientID: clientID, Now: e.clk.Now})
}

// response is a raw HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r response) str(k string) string { s, _ := r.Body[k].(string); return s }

// post sends a form, with the client's credentials when user is not empty:
// in the body for app2 (client_secret_post), as Basic for the others.
func (e *env) post(path string, form url.Values, user, pass string) response {
	e.t.Helper()
	if user == "app2" {
		form = cloneForm(form)
		form.Set("client_id", user)
		form.Set("client_secret", pass)
		user = ""
	}
	req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// passwordGrant signs alice in as a confidential client, raw.
func (e *env) passwordGrant(client, secret, scope string) response {
	e.t.Helper()
	return e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {alicePW}, "scope": {scope}}, client, secret)
}

func (e *env) refreshGrant(client, secret, rt string) response {
	e.t.Helper()
	return e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, client, secret)
}

// wantError asserts an OAuth error answer.
func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status || r.str("error") != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, status, code)
	}
	if r.str("error_description") == "" {
		t.Fatalf("error %s has no error_description", code)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("error response Cache-Control %q, want no-store", cc)
	}
}

func wantOK(t *testing.T, r response) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.Status, r.Raw)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}
