package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestPasswordGrantAndRefreshWithLibraries walks HelseID's core promise with
// golang.org/x/oauth2 and go-oidc: sign in once with offline_access, then get
// new access and ID tokens without the user signing in again.
func TestPasswordGrantAndRefreshWithLibraries(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	conf := e.oauth2Config("app", secretApp, "openid", "profile", "email", "offline_access")
	tok, err := conf.PasswordCredentialsToken(ctx, "alice", alicePW)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if !strings.HasPrefix(tok.RefreshToken, "tgrt_") || len(tok.RefreshToken) < 5+43 {
		t.Fatalf("refresh token %q: want tgrt_ and 256 bits", tok.RefreshToken)
	}
	if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
		t.Fatalf("token type %q, expiry %v", tok.TokenType, tok.Expiry)
	}
	if rtExp, ok := tok.Extra("rt_expires_in").(float64); !ok || rtExp != (360*time.Hour).Seconds() {
		t.Fatalf("rt_expires_in = %v, want %v", tok.Extra("rt_expires_in"), (360 * time.Hour).Seconds())
	}
	if s, _ := tok.Extra("scope").(string); s != "openid profile email offline_access" {
		t.Fatalf("scope = %q", s)
	}
	verifier := e.verifier("app")
	rawID, _ := tok.Extra("id_token").(string)
	id, err := verifier.Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("go-oidc rejects the ID token: %v", err)
	}
	var claims struct {
		AuthTime int64  `json:"auth_time"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		AZP      string `json:"azp"`
		Nonce    string `json:"nonce"`
	}
	if err := id.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if id.Subject != "sub-alice" || claims.AuthTime != e.clk.Now().Unix() || claims.Name != "Alice Nordmann" || claims.AZP != "app" {
		t.Fatalf("ID token claims: sub %q %+v", id.Subject, claims)
	}
	if err := id.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}

	// Later: the access token has expired; the library refreshes by itself.
	e.clk.Add(10 * time.Minute)
	old := tok.RefreshToken
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == old || fresh.RefreshToken == "" {
		t.Fatal("refresh did not return a new access token and a rotated refresh token")
	}
	rawID2, _ := fresh.Extra("id_token").(string)
	id2, err := verifier.Verify(ctx, rawID2)
	if err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}
	var claims2 struct {
		AuthTime int64 `json:"auth_time"`
		Nonce    *string
	}
	_ = id2.Claims(&claims2)
	// OIDC Core §12.2: same iss, sub, aud; the original auth_time.
	if id2.Subject != id.Subject || id2.Issuer != id.Issuer || claims2.AuthTime != claims.AuthTime {
		t.Fatalf("refreshed ID token changed identity: %q %d", id2.Subject, claims2.AuthTime)
	}
	// The consumed token, replayed after the grace window, is theft.
	e.clk.Add(2 * time.Minute)
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: old}).Token()
	wantRetrieveError(t, err, "invalid_grant")
	// ... and the whole family is revoked, successor included.
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token()
	wantRetrieveError(t, err, "invalid_grant")
	if !strings.Contains(e.logs.String(), "refresh_token_reuse") {
		t.Fatal("no audit event for the reuse")
	}
}

func wantRetrieveError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	if re.ErrorDescription == "" {
		t.Fatalf("%s without error_description", code)
	}
}

func TestRefreshTokenRules(t *testing.T) {
	e := start(t)

	t.Run("only with offline_access", func(t *testing.T) {
		r := e.passwordGrant("app", secretApp, "openid profile")
		wantOK(t, r)
		if r.str("refresh_token") != "" || r.Body["rt_expires_in"] != nil {
			t.Fatalf("refresh token without offline_access: %s", r.Raw)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Fatal("token response is cacheable")
		}
	})
	t.Run("a client not configured for it gets invalid_scope", func(t *testing.T) {
		r := e.passwordGrant("nooffline", secretNoOff, "openid offline_access")
		wantError(t, r, 400, "invalid_scope")
		if !strings.Contains(r.str("error_description"), "allow_offline_access") {
			t.Fatalf("description does not say why: %q", r.str("error_description"))
		}
	})
	t.Run("never for client credentials", func(t *testing.T) {
		r := e.post("/connect/token", map[string][]string{"grant_type": {"client_credentials"}, "scope": {"api offline_access"}}, "app", secretApp)
		wantError(t, r, 400, "invalid_scope")
		r = e.post("/connect/token", map[string][]string{"grant_type": {"client_credentials"}, "scope": {"api"}}, "app", secretApp)
		wantOK(t, r)
		if r.str("refresh_token") != "" || r.str("id_token") != "" {
			t.Fatalf("client credentials issued more than an access token: %s", r.Raw)
		}
	})
	t.Run("bound to its client", func(t *testing.T) {
		rt := e.passwordGrant("app", secretApp, "openid offline_access").str("refresh_token")
		wantError(t, e.post("/connect/token", map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"client_id": {"app2"}, "client_secret": {secretApp2}}, "", ""), 400, "invalid_grant")
		wantOK(t, e.refreshGrant("app", secretApp, rt)) // untouched by the other client's attempt
	})
	t.Run("scope can narrow, never widen", func(t *testing.T) {
		rt := e.passwordGrant("app", secretApp, "openid profile offline_access").str("refresh_token")
		r := e.post("/connect/token", map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid email"}}, "app", secretApp)
		wantError(t, r, 400, "invalid_scope")
		r = e.post("/connect/token", map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid"}}, "app", secretApp)
		wantOK(t, r)
		if r.str("scope") != "openid" {
			t.Fatalf("narrowed scope %q", r.str("scope"))
		}
		// The grant keeps its original scope for the next refresh.
		r = e.refreshGrant("app", secretApp, r.str("refresh_token"))
		wantOK(t, r)
		if r.str("scope") != "openid profile offline_access" {
			t.Fatalf("scope after narrowing once: %q", r.str("scope"))
		}
	})
	t.Run("reuse rotation keeps the token", func(t *testing.T) {
		rt := e.passwordGrant("reuse", secretReuse, "openid offline_access").str("refresh_token")
		r := e.refreshGrant("reuse", secretReuse, rt)
		wantOK(t, r)
		if r.str("refresh_token") != rt {
			t.Fatal("reuse rotation returned a different token")
		}
		wantOK(t, e.refreshGrant("reuse", secretReuse, rt))
	})
}

// TestRetrySafeRotation: a lost response, retried within the grace window,
// gets the identical refresh token; a replay once the successor was used
// revokes the grant.
func TestRetrySafeRotation(t *testing.T) {
	e := start(t)
	rt := e.passwordGrant("short", secretShort, "openid offline_access").str("refresh_token")
	first := e.refreshGrant("short", secretShort, rt)
	wantOK(t, first)
	e.clk.Add(5 * time.Second) // the response was lost; the client retries within 10 s
	retry := e.refreshGrant("short", secretShort, rt)
	wantOK(t, retry)
	if retry.str("refresh_token") != first.str("refresh_token") {
		t.Fatal("a retry within the grace window got a different refresh token")
	}
	if retry.str("access_token") == "" || retry.str("id_token") == "" {
		t.Fatal("a retry got no fresh access and ID tokens")
	}
	// The client uses the successor; a replay of the first token is theft.
	next := e.refreshGrant("short", secretShort, first.str("refresh_token"))
	wantOK(t, next)
	wantError(t, e.refreshGrant("short", secretShort, rt), 400, "invalid_grant")
	wantError(t, e.refreshGrant("short", secretShort, next.str("refresh_token")), 400, "invalid_grant")
}

func TestLifetimes(t *testing.T) {
	e := start(t)
	// short: idle 1 h, max 3 h.
	r := e.passwordGrant("short", secretShort, "openid offline_access")
	if r.Body["rt_expires_in"] != float64(3600) {
		t.Fatalf("rt_expires_in %v, want 3600", r.Body["rt_expires_in"])
	}
	rt := r.str("refresh_token")
	// Used every 50 minutes, it stays alive ...
	for range 3 {
		e.clk.Add(50 * time.Minute)
		r = e.refreshGrant("short", secretShort, rt)
		wantOK(t, r)
		rt = r.str("refresh_token")
	}
	// ... but 150 min in, the successor's expiry is capped at 3 h from sign-in,
	if r.Body["rt_expires_in"] != float64(30*60) {
		t.Fatalf("rt_expires_in at 150 min: %v, want 1800 (capped)", r.Body["rt_expires_in"])
	}
	// and past the cap no refresh works.
	e.clk.Add(31 * time.Minute)
	wantError(t, e.refreshGrant("short", secretShort, rt), 400, "invalid_grant")
	// Idle: unused for the idle lifetime, a token expires.
	rt = e.passwordGrant("short", secretShort, "openid offline_access").str("refresh_token")
	e.clk.Add(time.Hour)
	wantError(t, e.refreshGrant("short", secretShort, rt), 400, "invalid_grant")
}

// TestConcurrentPresentations: 50 concurrent presentations of one token
// yield exactly one live successor.
func TestConcurrentPresentations(t *testing.T) {
	e := start(t)
	rt := e.passwordGrant("app", secretApp, "openid offline_access").str("refresh_token")
	const n = 50
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = e.refreshGrant("app", secretApp, rt) }()
	}
	wg.Wait()
	successors := map[string]bool{}
	for _, r := range results {
		if r.Status == http.StatusOK {
			successors[r.str("refresh_token")] = true
		} else if r.Status >= 500 {
			t.Fatalf("a concurrent presentation failed with %d: %s", r.Status, r.Raw)
		}
	}
	if len(successors) != 1 {
		t.Fatalf("%d distinct successors, want exactly 1", len(successors))
	}
	var live string
	for s := range successors {
		live = s
	}
	introspect := func(tok string) bool {
		r := e.post("/connect/introspect", map[string][]string{"token": {tok}}, "app", secretApp)
		wantOK(t, r)
		return r.Body["active"] == true
	}
	if introspect(rt) || !introspect(live) {
		t.Fatal("want the presented token consumed and its one successor live")
	}
	wantOK(t, e.refreshGrant("app", secretApp, live))
}

// TestUserDisabledOrRemoved: a user who was disabled or removed can no
// longer refresh (the operator changes the config and restarts).
func TestUserDisabledOrRemoved(t *testing.T) {
	e := start(t)
	rtAlice := e.passwordGrant("app", secretApp, "openid profile offline_access").str("refresh_token")
	rtBob := e.post("/connect/token", map[string][]string{"grant_type": {"password"}, "username": {"bob"},
		"password": {alicePW}, "scope": {"openid offline_access"}}, "app", secretApp).str("refresh_token")
	// The claims in refreshed tokens are the user's current ones.
	e.restart(func(c *config.Config) { c.Users[0].Claims["name"] = "Alice Renamed" })
	r := e.post("/connect/token", map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {rtAlice}, "scope": {"openid profile offline_access"}}, "app", secretApp)
	wantOK(t, r)
	id, err := e.verifier("app").Verify(context.Background(), r.str("id_token"))
	var claims struct{ Name string }
	if err != nil || id.Claims(&claims) != nil || claims.Name != "Alice Renamed" {
		t.Fatalf("refreshed ID token: %v, name %q", err, claims.Name)
	}
	rtAlice = r.str("refresh_token")
	e.restart(func(c *config.Config) {
		c.Users[0].Disabled = true
		c.Users = c.Users[:1] // bob removed
	})
	wantError(t, e.refreshGrant("app", secretApp, rtAlice), 400, "invalid_grant")
	wantError(t, e.refreshGrant("app", secretApp, rtBob), 400, "invalid_grant")
	wantError(t, e.passwordGrant("app", secretApp, "openid"), 400, "invalid_grant")
}
