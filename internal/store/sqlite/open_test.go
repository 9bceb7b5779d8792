package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// What Open promises beyond the store contract: a private directory, the
// pragmas it asks for, and migrations applied once and refused when newer.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "odd ?#% name", "state")
	path := filepath.Join(dir, "tollgate.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the path given (escaping?): %v", err)
	}
	for _, p := range []struct {
		on         string
		pragma, is string
	}{
		{"w", "journal_mode", "wal"}, {"w", "synchronous", "1"}, {"w", "foreign_keys", "1"},
		{"w", "busy_timeout", "10000"}, {"r", "query_only", "1"}, {"r", "foreign_keys", "1"},
	} {
		var got string
		q := db.w
		if p.on == "r" {
			q = db.r
		}
		if err := q.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil || got != p.is {
			t.Errorf("%s: PRAGMA %s = %q, %v; want %q", p.on, p.pragma, got, err, p.is)
		}
	}
	if _, err := db.r.ExecContext(ctx, `DELETE FROM grants`); err == nil {
		t.Error("a read connection could write")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	err = db.RotateRefreshToken(ctx, "a", time.Now(), store.RefreshToken{Hash: "b"})
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		t.Errorf("RotateRefreshToken after Close: err = %v", err)
	}

	// Reopening applies nothing twice.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	var n, top int
	if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &top); err != nil || n != len(migrations) || top != len(migrations) {
		t.Errorf("schema_migrations: %d rows up to %d, %v; want %d", n, top, err, len(migrations))
	}
	// A database migrated by a newer build is refused, not written to.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(ctx, path); err == nil {
		db.Close()
		t.Error("Open of a newer schema: err = nil")
	}
}
