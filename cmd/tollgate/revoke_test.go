package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// writeRelativeConfig writes a tollgate.yaml in dir/etc whose storage and
// system secret paths are relative, as an operator would write them.
func writeRelativeConfig(t *testing.T, dir string) string {
	t.Helper()
	sec := "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	yaml := "issuer: http://127.0.0.1:1\nlisten: 127.0.0.1:1\nstorage: sqlite:./state/tollgate.db\nsystem_secret_file: state/system.key\n" +
		"clients:\n  - id: c1\n    secret: " + sec + "\n    grant_types: [password, refresh_token]\n    scopes: [openid, offline_access]\n    allow_offline_access: true\n" +
		"  - id: c2\n    secret: " + sec + "\n    grant_types: [client_credentials]\n" +
		"users:\n  - username: u\n    password: pw-pw-pw-pw\n    subject: s1\n"
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(etc, "tollgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issueGrants starts the app once from the config's folder and issues n grants to c1.
func issueGrants(t *testing.T, path string, n int) []string {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, _ := cfg.Client("c1")
	var ids []string
	for range n {
		iss, err := a.Refresh.Issue(ctx, storeGrant("c1", "s1"), refresh.Proof{}, policyOf(c))
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Refresh.Inspect(ctx, iss.Token)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.Grant.ID)
	}
	return ids
}

// TestRevokeFromAnotherFolder: the review ran revoke from another folder;
// relative paths then named a new, empty database and it printed
// "revoked 0 grant(s)". Paths are now the config file's, wherever the
// command runs.
func TestRevokeFromAnotherFolder(t *testing.T) {
	dir := t.TempDir()
	path := writeRelativeConfig(t, dir)
	issueGrants(t, path, 2)
	elsewhere := filepath.Join(dir, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	out := captureStdout(t, func() error {
		return cmdRevoke([]string{"--config", filepath.Join("..", "etc", "tollgate.yaml"), "--client", "c1"})
	})
	if strings.TrimSpace(out) != "revoked 2 grant(s)" {
		t.Fatalf("revoke printed %q", out)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("revoke created files in the working directory: %v", entries)
	}
}

// TestRevokeRefusesMissingDatabase: no database where the config says is an
// error, and none is created.
func TestRevokeRefusesMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	path := writeRelativeConfig(t, dir)
	err := cmdRevoke([]string{"--config", path, "--client", "c1"})
	if err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("revoke without a database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc", "state", "tollgate.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("revoke created a database: %v", err)
	}
}

// TestRevokeNamesSomethingThatExists: an unknown client, subject or grant
// is an error, not "revoked 0"; a grant already revoked is said to be so.
func TestRevokeNamesSomethingThatExists(t *testing.T) {
	dir := t.TempDir()
	path := writeRelativeConfig(t, dir)
	ids := issueGrants(t, path, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--client", "nobody"}, `no client "nobody"`},
		{[]string{"--subject", "ghost"}, `no user with subject "ghost"`},
		{[]string{"--grant", "no-such-grant"}, `no grant "no-such-grant"`},
	} {
		err := cmdRevoke(append([]string{"--config", path}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("revoke %v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	// A known client with no grants is fine: zero is the true answer.
	if out := captureStdout(t, func() error { return cmdRevoke([]string{"--config", path, "--client", "c2"}) }); strings.TrimSpace(out) != "revoked 0 grant(s)" {
		t.Errorf("client without grants: %q", out)
	}
	// So are a client and a user created at run time, in the store.
	cfg, _, err := (&configFlags{path: path}).load()
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenExistingStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = st.CreateClient(context.Background(), store.ClientRecord{ID: "made-at-runtime", Settings: []byte(`{"id":"made-at-runtime"}`)}, store.Event{})
	if err == nil {
		err = st.CreateUser(context.Background(), store.User{Username: "dora", Subject: "sub-dora"}, store.Event{})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--client", "made-at-runtime"}, {"--subject", "sub-dora"}} {
		if out := captureStdout(t, func() error { return cmdRevoke(append([]string{"--config", path}, args...)) }); strings.TrimSpace(out) != "revoked 0 grant(s)" {
			t.Errorf("revoke %v (in the store): %q", args, out)
		}
	}
	out := captureStdout(t, func() error { return cmdRevoke([]string{"--config", path, "--grant", ids[0]}) })
	if strings.TrimSpace(out) != "revoked 1 grant(s)" {
		t.Fatalf("revoke --grant: %q", out)
	}
	out = captureStdout(t, func() error { return cmdRevoke([]string{"--config", path, "--grant", ids[0]}) })
	if !strings.Contains(out, "already revoked") {
		t.Fatalf("revoking a revoked grant again: %q", out)
	}
}
