package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

func pgConfig(t *testing.T, storage string, passwordFile string) *config.Config {
	t.Helper()
	c := config.Default()
	c.Storage = storage
	c.StorageOptions.PasswordFile = passwordFile
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStoragePassword: the environment wins over the file; the file's
// first line is the password; a missing or empty file is an error that
// names the key; a URL password next to the environment's is refused.
func TestStoragePassword(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db.pw")
	if err := os.WriteFile(file, []byte("from-file\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := pgConfig(t, "postgres://tg@127.0.0.1/tg", file)

	t.Setenv(EnvStoragePassword, "")
	if pw, err := StoragePassword(cfg); err != nil || pw != "from-file" {
		t.Errorf("from the file: %q, %v", pw, err)
	}
	t.Setenv(EnvStoragePassword, "from-env")
	if pw, err := StoragePassword(cfg); err != nil || pw != "from-env" {
		t.Errorf("env and file: %q, %v; want the environment's", pw, err)
	}

	t.Setenv(EnvStoragePassword, "")
	for name, content := range map[string]*string{"missing": nil, "empty": new(string)} {
		p := filepath.Join(dir, name)
		if content != nil {
			if err := os.WriteFile(p, []byte(*content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := StoragePassword(pgConfig(t, "postgres://tg@127.0.0.1/tg", p))
		if err == nil || !strings.Contains(err.Error(), "storage_options.password_file") {
			t.Errorf("%s file: %v", name, err)
		}
	}
	if pw, err := StoragePassword(pgConfig(t, "postgres://tg@127.0.0.1/tg", "")); err != nil || pw != "" {
		t.Errorf("no password anywhere: %q, %v", pw, err)
	}

	t.Setenv(EnvStoragePassword, "from-env")
	for _, dsn := range []string{"postgres://tg:inline@127.0.0.1/tg", "postgres://tg@127.0.0.1/tg?password=inline"} {
		_, err := StoragePassword(pgConfig(t, dsn, ""))
		if err == nil || !strings.Contains(err.Error(), "one place") || strings.Contains(err.Error(), "inline") {
			t.Errorf("%s with %s set: %v", dsn, EnvStoragePassword, err)
		}
	}
}

// TestStorageLabel: what the logs say about the store has no password.
func TestStorageLabel(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://tg:hunter2@db:5432/tg?sslmode=verify-full": "postgres://tg:REDACTED@db:5432/tg?sslmode=verify-full",
		"postgres://tg@db/tg?password=hunter2&sslmode=require": "postgres://tg@db/tg?password=REDACTED&sslmode=require",
		"postgresql://tg@db/tg":                                "postgresql://tg@db/tg",
		"sqlite:/var/lib/tollgate/tollgate.db":                 "sqlite:/var/lib/tollgate/tollgate.db",
	} {
		if got := StorageLabel(in); got != want || strings.Contains(got, "hunter2") {
			t.Errorf("StorageLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
