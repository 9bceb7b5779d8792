package grant_test

// Shared helpers of the grant handler tests: a real memstore, a real
// lifecycle service and minter, a configuration built and finished as the
// server does, and a clock the tests move by hand.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
	"github.com/tollgate-oidc/tollgate/internal/testlog"
)

// clock is the injected clock the tests move by hand.
type clock = testclock.Clock

const (
	issuer       = "https://login.example"
	redirectApp  = "https://app.example/cb"
	redirectSPA  = "https://spa.example/cb"
	clientSecret = "fixture-secret-0123456789abcdefghijklmnop"
)

var systemSecret = []byte("0123456789abcdef0123456789abcdef0123456789abcdef")

// minter is shared: generating the RSA key once keeps the tests fast.
var minter = sync.OnceValues(func() (*mint.Minter, error) {
	ks, err := keys.Load(context.Background(), memstore.New(), systemSecret, time.Now())
	if err != nil {
		return nil, err
	}
	return mint.NewMinter(ks, issuer), nil
})

var passwordHash = sync.OnceValues(func() (string, error) { return secret.HashPassword("fixture password") })

// syncBuffer collects the log lines of the code under test.
type syncBuffer = testlog.Buffer

type fixture struct {
	t    *testing.T
	ctx  context.Context
	cfg  *config.Config
	st   *memstore.Store
	clk  *clock
	h    *grant.Handler
	logs *syncBuffer
}

// newFixture builds a handler over a fresh store and this configuration:
// app and other are confidential clients with refresh tokens (one_time
// rotation, a minute of grace), spa is a public client; alice and bob are users.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	m, err := minter()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), st: memstore.New(), logs: &syncBuffer{},
		clk: testclock.At(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))}
	f.cfg = newConfig(t, nil)
	audit := slog.New(slog.NewTextHandler(f.logs, nil))
	f.h = &grant.Handler{
		Users: directory.NewUsers(f.cfg, nil), Passwords: passwords(t, f.cfg, f.clk.Now), Refresh: refresh.New(f.st, mint.NewRefreshKeys(systemSecret), f.clk.Now, audit), Minter: m,
		Codes: f.st, Now: f.clk.Now, Audience: []string{issuer + "/resources"}, Log: audit,
	}
	return f
}

// reconfigure is an operator's restart with a changed configuration.
func (f *fixture) reconfigure(edit func(*config.Config)) {
	f.cfg = newConfig(f.t, edit)
	f.h.Users = directory.NewUsers(f.cfg, nil)
	f.h.Passwords = passwords(f.t, f.cfg, f.clk.Now)
}

// passwords are the password checks of cfg, as the server builds them.
func passwords(t *testing.T, cfg *config.Config, now func() time.Time) *grant.Passwords {
	t.Helper()
	p, err := grant.NewPasswords(cfg, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newConfig is the fixture configuration, changed by edit before Finish.
func newConfig(t *testing.T, edit func(*config.Config)) *config.Config {
	t.Helper()
	pw, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	offline := []string{"openid", "profile", "email", "offline_access", "api"}
	cfg := config.Default()
	cfg.Issuer = issuer
	cfg.Clients = []config.Client{
		{ID: "app", Type: config.ClientConfidential, AuthMethod: config.AuthSecretBasic, Secret: clientSecret,
			GrantTypes: []string{"authorization_code", "refresh_token", "client_credentials"}, Scopes: offline,
			AllowOfflineAccess: true, RedirectURIs: []string{redirectApp}},
		{ID: "other", Type: config.ClientConfidential, AuthMethod: config.AuthSecretBasic, Secret: clientSecret,
			GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: offline,
			AllowOfflineAccess: true, RedirectURIs: []string{"https://other.example/cb"}},
		{ID: "spa", Type: config.ClientPublic, AuthMethod: config.AuthNone,
			GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"}, RedirectURIs: []string{redirectSPA}},
	}
	cfg.Users = []config.User{
		{Username: "alice", PasswordHash: pw, Subject: "sub-alice", Claims: map[string]any{"name": "Alice"}},
		{Username: "bob", PasswordHash: pw, Subject: "sub-bob"},
	}
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatalf("fixture config: %v", err)
	}
	return cfg
}

func (f *fixture) client(id string) *config.Client {
	c, ok := f.cfg.Client(id)
	if !ok {
		f.t.Fatalf("no client %q", id)
	}
	return c
}

func (f *fixture) user(name string) *config.User {
	u, ok := f.cfg.User(name)
	if !ok {
		f.t.Fatalf("no user %q", name)
	}
	return u
}

// pkce returns a fixed verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// newCode stores a code for app and alice, with PKCE, openid and
// offline_access, living a minute, as the authorize endpoint would; edit
// changes it first. It returns the code's value.
func (f *fixture) newCode(edit func(*store.AuthCode)) string {
	f.t.Helper()
	_, challenge := pkce()
	now := f.clk.Now()
	c := store.AuthCode{ClientID: "app", RedirectURI: redirectApp, CodeChallenge: challenge, CodeChallengeMethod: "S256",
		Subject: "sub-alice", Scopes: []string{"openid", "offline_access"}, Nonce: "n-1", SessionID: "sid-1",
		AMR: []string{"pwd"}, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if edit != nil {
		edit(&c)
	}
	code := mint.NewCode()
	c.Hash = mint.HashToken(code)
	if err := f.st.CreateAuthCode(f.ctx, c); err != nil {
		f.t.Fatal(err)
	}
	return code
}

// redeem presents a code as client, with app's redirect URI and the fixture verifier.
func (f *fixture) redeem(client, code string) (*grant.Response, error) {
	verifier, _ := pkce()
	redirect := redirectApp
	if client == "spa" {
		redirect = redirectSPA
	}
	return f.redeemWith(client, code, redirect, verifier)
}

func (f *fixture) redeemWith(client, code, redirect, verifier string) (*grant.Response, error) {
	return f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeAuthorizationCode, Client: f.client(client),
		Code: code, RedirectURI: redirect, CodeVerifier: verifier})
}

// mustRedeem redeems a fresh code of app's and returns the response.
func (f *fixture) mustRedeem() *grant.Response {
	f.t.Helper()
	resp, err := f.redeem("app", f.newCode(nil))
	if err != nil {
		f.t.Fatalf("redeem: %v", err)
	}
	if resp.RefreshToken == "" {
		f.t.Fatal("no refresh token from a code with offline_access")
	}
	return resp
}

// refresh presents a refresh token as client, with scope when given.
func (f *fixture) refresh(client, rt string, scope ...string) (*grant.Response, error) {
	return f.h.Exchange(f.ctx, grant.Request{GrantType: grant.TypeRefreshToken, Client: f.client(client),
		RefreshToken: rt, Scope: scope, ScopeGiven: scope != nil})
}

// grantOf returns the grant a refresh token belongs to.
func (f *fixture) grantOf(rt string) store.Grant {
	f.t.Helper()
	_, g, err := f.st.RefreshToken(f.ctx, mint.ClaimedGrantID(rt), mint.HashToken(rt))
	if err != nil {
		f.t.Fatalf("refresh token not stored: %v", err)
	}
	return g
}

// accessScopes verifies an access token and returns its scope.
func (f *fixture) accessScopes(at string) []string {
	f.t.Helper()
	m, _ := minter()
	c, err := m.VerifyAccessToken(at, f.clk.Now())
	if err != nil {
		f.t.Fatalf("access token: %v", err)
	}
	return c.Scopes
}

// wantOAuth checks err is an *oautherr.Error with that code and a description.
func wantOAuth(t *testing.T, err error, code string) *oautherr.Error {
	t.Helper()
	var e *oautherr.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want %s", err, err, code)
	}
	if e.Code != code || strings.TrimSpace(e.Description) == "" {
		t.Fatalf("err = %s %q, want %s with a description", e.Code, e.Description, code)
	}
	return e
}
