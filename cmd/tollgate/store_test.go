package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// pgConfig is a finished configuration on a fresh schema of the
// TOLLGATE_TEST_POSTGRES database (skipped without it, failed in CI).
func pgConfig(t *testing.T) *config.Config {
	t.Helper()
	c := config.Default()
	c.Storage = pgtest.Schema(t, "tg_cmd", nil)
	c.SystemSecretFile = filepath.Join(t.TempDir(), "system.key")
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	t.Setenv(app.EnvStoragePassword, "")
	return c
}

// TestMigratePostgres: migrate applies what the database lacks and says
// so, a second run applies nothing, and --status lists every version with
// when it was applied; before, it lists them pending and changes nothing.
func TestMigratePostgres(t *testing.T) {
	cfg := pgConfig(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := migrate(ctx, &out, cfg, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0001     initial") || !strings.Contains(out.String(), "pending") || !strings.Contains(out.String(), "schema at version 0 of") {
		t.Fatalf("--status on an empty schema:\n%s", out.String())
	}
	out.Reset()
	if err := migrate(ctx, &out, cfg, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "applied 0001 initial") || strings.Contains(out.String(), "(0 migration(s) applied now)") {
		t.Fatalf("first migrate:\n%s", out.String())
	}
	out.Reset()
	if err := migrate(ctx, &out, cfg, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "applied 0") && !strings.Contains(out.String(), "(0 migration(s) applied now)") {
		t.Fatalf("second migrate applied something:\n%s", out.String())
	}
	out.Reset()
	if err := migrate(ctx, &out, cfg, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "pending") || !regexp.MustCompile(`0001 +initial +\d{4}-\d\d-\d\dT`).MatchString(out.String()) {
		t.Fatalf("--status after migrate:\n%s", out.String())
	}
}

// TestMigrateSQLite: the embedded store needs no migrate step, and the
// command says so instead of failing.
func TestMigrateSQLite(t *testing.T) {
	cfg := config.Default()
	cfg.Storage = "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, status := range []bool{false, true} {
		var out bytes.Buffer
		if err := migrate(context.Background(), &out, cfg, status); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "SQLite needs no migrate step") {
			t.Errorf("status=%v: %s", status, out.String())
		}
	}
}

// TestJanitorCommand: one sweep deletes what has expired, keeps what has
// not, and prints the count; on both backends.
func TestJanitorCommand(t *testing.T) {
	sqliteCfg := config.Default()
	sqliteCfg.Storage = "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	if err := sqliteCfg.Finish(); err != nil {
		t.Fatal(err)
	}
	backends := map[string]func(t *testing.T) *config.Config{
		"sqlite":   func(*testing.T) *config.Config { return sqliteCfg },
		"postgres": pgConfig,
	}
	for name, mk := range backends {
		t.Run(name, func(t *testing.T) {
			cfg := mk(t)
			ctx := context.Background()
			st, err := app.OpenStore(ctx, cfg, app.StoreOptions{}) // as serve does: migrated
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
			for id, exp := range map[string]time.Time{"gone-1": now.Add(-time.Hour), "gone-2": now.Add(-time.Second), "kept": now.Add(time.Hour)} {
				if err := st.CreateAuthRequest(ctx, store.AuthRequest{ID: id, ClientID: "c", Params: []byte("{}"), CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: exp}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			var out bytes.Buffer
			if err := janitor(ctx, &out, cfg, func() time.Time { return now }); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), "deleted 2 expired record(s)") {
				t.Errorf("janitor printed %q", out.String())
			}
			st, err = app.OpenExistingStore(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.AuthRequest(ctx, "kept"); err != nil {
				t.Errorf("the live row went: %v", err)
			}
		})
	}
}
