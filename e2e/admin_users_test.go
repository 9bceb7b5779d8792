package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// Users managed at runtime, on the real server: created, changed and
// disabled through the admin API (or the built binary), in force at the
// next request, driven by golang.org/x/oauth2 and checked with go-oidc.

const (
	doraPW    = "dora's first long passphrase"
	doraPW2   = "dora's second long passphrase"
	carolPW   = "carol's command-line passphrase"
	userScope = "openid profile email offline_access"
)

// adminRaw sends one admin API request with the admin token.
func adminRaw(t *testing.T, base, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// refreshedClaims refreshes rt through x/oauth2 and returns the new
// refresh token and the claims of the new ID token, verified by go-oidc.
func refreshedClaims(t *testing.T, e *env, conf *oauth2.Config, rt string) (string, map[string]any, error) {
	t.Helper()
	tok, err := conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		return "", nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := e.verifier("app").Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("the refreshed ID token does not verify: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return tok.RefreshToken, claims, nil
}

func wantInvalidGrant(t *testing.T, what string, err error) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("%s: %v, want invalid_grant", what, err)
	}
}

// TestAdminUsersLifecycle: a user created through the admin API signs in
// with the password grant and on the login page; new claims are in the
// ID token of the next refresh; a new password replaces the old at once;
// a disabled user's next refresh and next sign-in are refused, and an
// enabled one signs in again. The file's users cannot be changed.
func TestAdminUsersLifecycle(t *testing.T) {
	e, base := startAdmin(t)
	e.secrets = append(e.secrets, doraPW, doraPW2)
	code, out := adminRaw(t, base, "POST", "/api/v1/users", `{"username":"dora","password":"`+doraPW+`","claims":{"name":"Dora Dahl"}}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, out)
	}
	var dora struct{ Subject string }
	if err := json.Unmarshal([]byte(out), &dora); err != nil || dora.Subject == "" {
		t.Fatalf("create answered %s", out)
	}
	if strings.Contains(out, doraPW) || strings.Contains(out, "$argon2id$") {
		t.Fatalf("the answer holds the password or its hash: %s", out)
	}

	conf := e.oauth2Config("app", secretApp, strings.Fields(userScope)...)
	ctx := context.Background()
	tok, err := conf.PasswordCredentialsToken(ctx, "dora", doraPW)
	if err != nil {
		t.Fatalf("password grant of a store user: %v", err)
	}
	rt, claims, err := refreshedClaims(t, e, conf, tok.RefreshToken)
	if err != nil || claims["sub"] != dora.Subject || claims["name"] != "Dora Dahl" {
		t.Fatalf("first refresh: %v, claims %v (sub want %s)", err, claims, dora.Subject)
	}
	if pg := e.loginFrom("127.0.4.1", "dora", doraPW); pg.Status != http.StatusSeeOther {
		t.Fatalf("login page sign-in of a store user: %d %s", pg.Status, pg.Body)
	}

	// New claims: in the ID token of the very next refresh.
	if code, out := adminRaw(t, base, "PUT", "/api/v1/users/dora/claims", `{"claims":{"name":"Dora D. Dahl","email":"dora@example.no"}}`); code != http.StatusOK {
		t.Fatalf("set claims: %d %s", code, out)
	}
	if rt, claims, err = refreshedClaims(t, e, conf, rt); err != nil || claims["name"] != "Dora D. Dahl" || claims["email"] != "dora@example.no" {
		t.Fatalf("refresh after set-claims: %v, claims %v", err, claims)
	}

	// A new password: the old is refused, the new works, at once.
	if code, out := adminRaw(t, base, "PUT", "/api/v1/users/dora/password", `{"password":"`+doraPW2+`"}`); code != http.StatusOK {
		t.Fatalf("set password: %d %s", code, out)
	}
	_, err = conf.PasswordCredentialsToken(ctx, "dora", doraPW)
	wantInvalidGrant(t, "the old password", err)
	if _, err := conf.PasswordCredentialsToken(ctx, "dora", doraPW2); err != nil {
		t.Fatalf("the new password: %v", err)
	}

	// Disabled: the next refresh and the next sign-in are refused.
	if code, out := adminRaw(t, base, "POST", "/api/v1/users/dora/disable", ""); code != http.StatusOK {
		t.Fatalf("disable: %d %s", code, out)
	}
	_, _, err = refreshedClaims(t, e, conf, rt)
	wantInvalidGrant(t, "refresh of a disabled user", err)
	_, err = conf.PasswordCredentialsToken(ctx, "dora", doraPW2)
	wantInvalidGrant(t, "password grant of a disabled user", err)
	if pg := e.loginFrom("127.0.4.2", "dora", doraPW2); pg.Status != http.StatusOK || !strings.Contains(pg.Body, textFailed) {
		t.Fatalf("login page of a disabled user: %d", pg.Status)
	}

	// Enabled again: signs in.
	if code, out := adminRaw(t, base, "POST", "/api/v1/users/dora/enable", ""); code != http.StatusOK {
		t.Fatalf("enable: %d %s", code, out)
	}
	if _, err := conf.PasswordCredentialsToken(ctx, "dora", doraPW2); err != nil {
		t.Fatalf("password grant after enable: %v", err)
	}

	// The file's users are read-only here; the listing shows both kinds.
	if code, out := adminRaw(t, base, "POST", "/api/v1/users/alice/disable", ""); code != http.StatusConflict || !strings.Contains(out, "configuration file") {
		t.Fatalf("disable a file user: %d %s, want 409", code, out)
	}
	if code, out := adminRaw(t, base, "GET", "/api/v1/users", ""); code != http.StatusOK ||
		!strings.Contains(out, `"source": "config"`) || !strings.Contains(out, `"username": "dora"`) {
		t.Fatalf("list: %d %s", code, out)
	}
	logs := e.logs.String()
	for _, s := range []string{doraPW, doraPW2, "$argon2id$"} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds %q", s)
		}
	}
}

// TestAdminUsersBinary: the built binary manages the users of a running
// server's store with --config (the password read from standard input);
// the server applies each change at its next request.
func TestAdminUsersBinary(t *testing.T) {
	e := start(t)
	e.secrets = append(e.secrets, carolPW)
	hash, err := secret.HashPassword(alicePW)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tollgate.yaml")
	yaml := fmt.Sprintf("issuer: %s\nstorage: sqlite:%s\nsystem_secret_file: %s\nusers:\n  - {username: alice, password_hash: %q, subject: sub-alice}\n",
		e.issuer, filepath.Join(e.dir, "tollgate.db"), filepath.Join(e.dir, "system.key"), hash)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runTollgate(t, carolPW+"\n", "users", "create", "carol", "--subject", "sub-carol", "--config", path); r.code != 0 || !strings.Contains(r.stdout, "sub-carol") {
		t.Fatalf("users create: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r := runTollgate(t, "", "users", "list", "--config", path, "--json")
	var list []struct{ Username, Source string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || fmt.Sprint(list) != "[{alice config} {carol store}]" {
		t.Fatalf("users list --json: exit %d, %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runTollgate(t, "", "users", "list", "--config", path); r.code != 0 || !strings.Contains(r.stdout, "carol     sub-carol  store   enabled") {
		t.Fatalf("users list: exit %d, %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	grant := func() response {
		return e.post("/connect/token", map[string][]string{"grant_type": {"password"}, "username": {"carol"},
			"password": {carolPW}, "scope": {"openid"}}, "app", secretApp)
	}
	wantOK(t, grant())
	if r := runTollgate(t, "", "users", "disable", "carol", "--config", path); r.code != 0 {
		t.Fatalf("users disable: exit %d, stderr %q", r.code, r.stderr)
	}
	wantError(t, grant(), http.StatusBadRequest, "invalid_grant")
	if r := runTollgate(t, "", "users", "disable", "alice", "--config", path); r.code != 1 || !strings.Contains(r.stderr, "configuration file") {
		t.Fatalf("users disable of a file user: exit %d, stderr %q; want 1 and why", r.code, r.stderr)
	}
	if r := runTollgate(t, "", "users", "show", "--config", path); r.code != 2 {
		t.Fatalf("users show without NAME: exit %d, want 2", r.code)
	}
	// A username that begins with "-" is the name, before the flags.
	if r := runTollgate(t, carolPW+"\n", "users", "create", "-dash", "--config", path); r.code != 0 {
		t.Fatalf("users create -dash: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runTollgate(t, "", "users", "show", "-dash", "--config", path); r.code != 0 || !strings.Contains(r.stdout, "-dash") {
		t.Fatalf("users show -dash: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
