package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// testConfig is a finished configuration with its files under dir.
func testConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	c := config.Default()
	c.Issuer = "http://127.0.0.1:1"
	c.Storage = "sqlite:" + filepath.Join(dir, "tollgate.db")
	c.SystemSecretFile = filepath.Join(dir, "system.key")
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	return c
}

// firstStart opens and closes a fresh install whose system secret is a
// file, and returns its configuration.
func firstStart(t *testing.T) *config.Config {
	t.Helper()
	t.Setenv(EnvSystemSecret, "")
	cfg := testConfig(t, t.TempDir())
	a, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	return cfg
}

// TestSystemSecretCreatedOnFirstStart: a fresh install gets a random secret
// in a 0600 file, and the next start reads the same one.
func TestSystemSecretCreatedOnFirstStart(t *testing.T) {
	cfg := firstStart(t)
	fi, err := os.Stat(cfg.SystemSecretFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("system secret file: %v, %v; want mode 0600", fi, err)
	}
	first, err := os.ReadFile(cfg.SystemSecretFile)
	if err != nil || len(first) < 32 {
		t.Fatalf("system secret file holds %d bytes, %v; want at least 32", len(first), err)
	}
	a, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	a.Close()
	if again, _ := os.ReadFile(cfg.SystemSecretFile); string(again) != string(first) {
		t.Fatal("the second start replaced the system secret")
	}
}

// TestMissingSystemSecretWritesNothing: a database whose signing keys are
// sealed with a secret that is now missing (deleted, or the server started
// from another folder) fails closed BEFORE anything is written. A fresh
// random system.key beside the old database would open nothing, and would
// mislead whoever restores the backup.
func TestMissingSystemSecretWritesNothing(t *testing.T) {
	cfg := firstStart(t)
	if err := os.Remove(cfg.SystemSecretFile); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), cfg, Options{})
	if err == nil {
		t.Fatal("started without the secret that sealed its keys")
	}
	for _, want := range []string{cfg.SystemSecretFile, "restore", EnvSystemSecret} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := os.Stat(cfg.SystemSecretFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a new system secret file was written: %v", err)
	}
}

// TestSystemSecretFromEnvironment: TOLLGATE_SYSTEM_SECRET wins over the
// file and writes no file; a short one is refused.
func TestSystemSecretFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	t.Setenv(EnvSystemSecret, "short")
	if _, err := Open(context.Background(), cfg, Options{}); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short secret: %v", err)
	}
	t.Setenv(EnvSystemSecret, strings.Repeat("s", 40))
	a, err := Open(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := os.Stat(cfg.SystemSecretFile); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a system secret file was written although the environment holds one: %v", err)
	}
}
