package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// serveDev starts the --dev configuration in dir on a free loopback port.
func serveDev(t *testing.T, dir string) (*config.Config, *devCredentials) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, creds, err := devConfig(dir, l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return cfg, creds
}

// TestDevBannerSessionRuns runs the curl session the dev server prints, as
// a user would paste it: sign in, refresh, revoke, refresh refused.
func TestDevBannerSessionRuns(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	dir := t.TempDir()
	cfg, creds := serveDev(t, filepath.Join(dir, ".tollgate"))
	banner := creds.banner(cfg.Issuer)
	var script []string
	for _, line := range strings.Split(banner, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "RT=") || strings.HasPrefix(line, "curl") || strings.HasPrefix(line, "-d ") {
			script = append(script, line)
		}
	}
	cmd := exec.Command("bash", "-eu", "-c", strings.Join(script, "\n"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the printed session failed: %v\n%s\n--- script:\n%s", err, out, strings.Join(script, "\n"))
	}
	s := string(out)
	for _, want := range []string{`"refresh_token":"tgrt_`, "HTTP/1.1 200", `"error":"invalid_grant"`} {
		if !strings.Contains(s, want) {
			t.Fatalf("session output lacks %q:\n%s", want, s)
		}
	}
	// The account page the banner names is served, and starts a sign-in
	// as the built-in client.
	var account string
	for _, line := range strings.Split(banner, "\n") {
		if i := strings.Index(line, cfg.Issuer+"/account"); i >= 0 {
			account = strings.TrimSpace(line[i:])
		}
	}
	if account == "" {
		t.Fatalf("the banner names no account page:\n%s", banner)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(account)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "client_id=tollgate-account") {
		t.Fatalf("GET %s: %d to %q, want a sign-in as tollgate-account", account, res.StatusCode, loc)
	}
	// A restart keeps the same demo credentials.
	_, again, err := devConfig(filepath.Join(dir, ".tollgate"), "127.0.0.1:0")
	if err != nil || *again != *creds {
		t.Fatalf("dev credentials changed across restarts: %v", err)
	}
}

// TestRevokeCommand: an operator stops a client at once from the CLI.
func TestRevokeCommand(t *testing.T) {
	dir := t.TempDir()
	sec := "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	yaml := "issuer: http://127.0.0.1:1\nlisten: 127.0.0.1:1\nstorage: sqlite:" + filepath.Join(dir, "db") +
		"\nsystem_secret_file: " + filepath.Join(dir, "key") + "\nclients:\n  - id: c1\n    secret: " + sec +
		"\n    grant_types: [password, refresh_token]\n    scopes: [openid, offline_access]\n    allow_offline_access: true\n" +
		"users:\n  - username: u\n    password: pw-pw-pw-pw\n    subject: s1\n"
	path := filepath.Join(dir, "tollgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cfg.Client("c1")
	var tokens []string
	for range 3 {
		iss, err := a.Refresh.Issue(ctx, storeGrant("c1", "s1"), refresh.Proof{}, policyOf(c))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, iss.Token)
	}
	a.Close()

	out := captureStdout(t, func() error { return cmdRevoke([]string{"--config", path, "--client", "c1"}) })
	if strings.TrimSpace(out) != "revoked 3 grant(s)" {
		t.Fatalf("revoke printed %q", out)
	}
	a, err = app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, tok := range tokens {
		if _, err := a.Refresh.Inspect(ctx, tok); err == nil {
			t.Fatal("a token survived revoke --client")
		}
	}
	for _, args := range [][]string{{"--config", path}, {"--config", path, "--grant", "g", "--client", "c"}, {"--client", "c"}} {
		if err := cmdRevoke(args); err == nil {
			t.Fatalf("revoke %v: want an error", args)
		}
	}
}
