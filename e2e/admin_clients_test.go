package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
)

// adminCall sends one admin API request with the admin token and decodes
// the JSON answer into out.
func adminCall(t *testing.T, base, method, path, body string, wantStatus int, out any) string {
	t.Helper()
	status, b := adminRaw(t, base, method, "/api/v1"+path, body)
	if status != wantStatus {
		t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

type madeClient struct {
	ID           string `json:"id"`
	Source       string `json:"source"`
	Version      int64  `json:"version"`
	ClientSecret string `json:"client_secret"`
}

const rtClient = `{"id":"rt-svc","grant_types":["client_credentials","password","refresh_token"],` +
	`"scopes":["openid","offline_access"],"allow_offline_access":true}`

// clientCredentials asks tokenURL for a token as id with secret, through
// x/oauth2, and returns the OAuth error code ("" on success).
func clientCredentials(t *testing.T, tokenURL, id, secret string) string {
	t.Helper()
	cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}
	_, err := cc.Token(context.Background())
	var re *oauth2.RetrieveError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.ErrorCode
	}
	t.Fatalf("client credentials: %v", err)
	return ""
}

// TestAdminClientsLifecycle: a confidential client created through the
// admin API works with the secret it returned (client credentials and
// password grants, through x/oauth2); a rotation refuses the old secret at
// once and accepts the new; a disable refuses it; the file's clients are
// read-only.
func TestAdminClientsLifecycle(t *testing.T) {
	e, base := startAdmin(t)
	var made madeClient
	adminCall(t, base, "POST", "/clients", rtClient, http.StatusCreated, &made)
	if made.Source != "store" || made.ClientSecret == "" {
		t.Fatalf("created: %+v", made)
	}
	e.secrets = append(e.secrets, made.ClientSecret)
	if code := clientCredentials(t, e.tokenURL(), "rt-svc", made.ClientSecret); code != "" {
		t.Fatalf("client credentials with the returned secret: %s", code)
	}
	tok, err := e.oauth2Config("rt-svc", made.ClientSecret, "openid", "offline_access").
		PasswordCredentialsToken(context.Background(), "alice", alicePW)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("password grant: %v (refresh token %t)", err, tok != nil && tok.RefreshToken != "")
	}

	var rot madeClient
	adminCall(t, base, "POST", "/clients/rt-svc/secret", "", http.StatusOK, &rot)
	e.secrets = append(e.secrets, rot.ClientSecret)
	if code := clientCredentials(t, e.tokenURL(), "rt-svc", made.ClientSecret); code != "invalid_client" {
		t.Errorf("the old secret after rotation: %q, want invalid_client", code)
	}
	if code := clientCredentials(t, e.tokenURL(), "rt-svc", rot.ClientSecret); code != "" {
		t.Errorf("the new secret after rotation: %q", code)
	}

	adminCall(t, base, "POST", "/clients/rt-svc/disable?revoke_grants=true", "", http.StatusOK, nil)
	if code := clientCredentials(t, e.tokenURL(), "rt-svc", rot.ClientSecret); code != "invalid_client" {
		t.Errorf("a disabled client: %q, want invalid_client", code)
	}
	if r := e.refreshGrant("rt-svc", rot.ClientSecret, tok.RefreshToken); r.str("error") != "invalid_client" {
		t.Errorf("a disabled client's refresh: %d %v, want invalid_client", r.Status, r.Body)
	}

	body := adminCall(t, base, "PUT", "/clients/app", `{"version":1,"settings":{}}`, http.StatusConflict, nil)
	if !strings.Contains(body, "defined in the configuration file") {
		t.Errorf("changing a file client: %s", body)
	}
	body = adminCall(t, base, "POST", "/clients", `{"id":"bad","redirect_uris":["http://evil.example/cb"]}`, http.StatusBadRequest, nil)
	if !strings.Contains(body, "redirect_uris[0]") {
		t.Errorf("a bad redirect URI: %s", body)
	}
	var list struct {
		Items []madeClient `json:"items"`
	}
	adminCall(t, base, "GET", "/clients?limit=1000", "", http.StatusOK, &list)
	sources := map[string]string{}
	for _, c := range list.Items {
		sources[c.ID] = c.Source
	}
	if sources["app"] != "config" || sources["rt-svc"] != "store" {
		t.Errorf("listing sources: %v", sources)
	}
	for _, s := range []string{made.ClientSecret, rot.ClientSecret} {
		if strings.Contains(e.logs.String(), s) {
			t.Error("the log holds a client secret")
		}
	}
}

// TestAdminClientsTwoNodes: two nodes on one store (SQLite file). A client
// created through one works on the other at once (the other had never
// seen it); a disable on the first is in force on the second once its
// snapshot is directory.ClientsReloadEvery old.
func TestAdminClientsTwoNodes(t *testing.T) {
	e, base := startAdmin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuerB := "http://" + l.Addr().String()
	cfgB := testConfig(issuerB, e.dir, e.jwtKey, nil)
	if err := cfgB.Finish(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := app.Open(ctx, cfgB, app.Options{Now: e.clk.Now, Log: app.NewLoggerAt(e.logs, "text", slog.LevelDebug)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx, l) }()
	defer func() { cancel(); <-done; b.Close() }()
	tokenB := issuerB + "/connect/token"

	// B looks the client up once before it exists: its snapshot is loaded.
	if code := clientCredentials(t, tokenB, "rt-svc", "x"+strings.Repeat("y", 40)); code != "invalid_client" {
		t.Fatalf("an unknown client on B: %q", code)
	}
	var made madeClient
	adminCall(t, base, "POST", "/clients", rtClient, http.StatusCreated, &made)
	e.clk.Add(directory.ClientsMissEvery) // the miss rate limit, on B's clock
	if code := clientCredentials(t, tokenB, "rt-svc", made.ClientSecret); code != "" {
		t.Fatalf("a client created on A, on B: %q", code)
	}
	adminCall(t, base, "POST", "/clients/rt-svc/disable", "", http.StatusOK, nil)
	if code := clientCredentials(t, e.tokenURL(), "rt-svc", made.ClientSecret); code != "invalid_client" {
		t.Errorf("disabled, on A at once: %q", code)
	}
	e.clk.Add(directory.ClientsReloadEvery)
	if code := clientCredentials(t, tokenB, "rt-svc", made.ClientSecret); code != "invalid_client" {
		t.Errorf("disabled on A, on B after the reload bound: %q", code)
	}
}

// TestCLIClientsList: the built binary lists the file's and the store's
// clients with --config, and creates one there.
func TestCLIClientsList(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tollgate.yaml")
	yml := `issuer: http://127.0.0.1:1
listen: 127.0.0.1:1
storage: sqlite:` + filepath.Join(dir, "t.db") + `
system_secret_file: ` + filepath.Join(dir, "system.key") + `
clients:
  - id: file-svc
    secret: "` + secretApp + `"
    grant_types: [client_credentials]
`
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{}) // creates the store, as a first start does
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	r := runTollgate(t, "", "clients", "create", "--config", path, "--id", "cli-svc", "--grant-types", "client_credentials")
	if r.code != 0 || !strings.Contains(r.stdout, "client_secret: ") {
		t.Fatalf("clients create: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runTollgate(t, "", "clients", "list", "--config", path)
	if r.code != 0 || !regexpLine(r.stdout, "file-svc", "config") || !regexpLine(r.stdout, "cli-svc", "store") {
		t.Fatalf("clients list: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runTollgate(t, "", "clients", "list", "--config", path, "--json")
	var items []madeClient
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 2 {
		t.Fatalf("clients list --json: %v\n%s", err, r.stdout)
	}
	// An id that begins with "-" is the id, before the flags or after "--";
	// and the id may come after the flags.
	r = runTollgate(t, "", "clients", "create", "--config", path, "--id", "-dash-svc", "--grant-types", "client_credentials")
	if r.code != 0 {
		t.Fatalf("clients create --id -dash-svc: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range []struct {
		args []string
		id   string
	}{
		{[]string{"-dash-svc", "--config", path}, "-dash-svc"},
		{[]string{"--config", path, "--", "-dash-svc"}, "-dash-svc"},
		{[]string{"--config", path, "cli-svc"}, "cli-svc"},
	} {
		r = runTollgate(t, "", append([]string{"clients", "show"}, c.args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, c.id) {
			t.Errorf("clients show %q: %d\n%s%s", c.args, r.code, r.stdout, r.stderr)
		}
	}
	r = runTollgate(t, "", "clients", "disable", "file-svc", "--config", path)
	if r.code != 1 || !strings.Contains(r.stderr, "configuration file") {
		t.Errorf("disabling a file client: %d %s", r.code, r.stderr)
	}
	if bytes.Contains([]byte(r.stdout+r.stderr), []byte(secretApp)) {
		t.Error("the CLI printed a file client's secret")
	}
}

// regexpLine reports whether one line of out holds every word.
func regexpLine(out string, words ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}
