package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
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

// A database created by a build that knew only migration 1 (already in dev
// databases) is upgraded in place on Open, its data kept, and the columns
// later migrations add read back as their zero values. The version-1 rows
// are written with that version's SQL: today's statements name columns it
// did not have.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	path := version1(t, now, map[string]string{"g1": "rt0"})
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open at version 1: %v", err)
	}
	defer db.Close()
	var top int
	if err := db.w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&top); err != nil || top != len(migrations) {
		t.Errorf("schema version after upgrade = %d, %v; want %d", top, err, len(migrations))
	}
	if rt, g, err := db.RefreshToken(ctx, "g1", "rt0"); err != nil {
		t.Errorf("grant written at version 1: %v", err)
	} else if g.DPoPJKT != "" || len(g.Resources) != 0 || rt.ProofKey != "" || g.Scopes[0] != "openid" {
		t.Errorf("version-1 rows read back as %+v, %+v; want the new columns empty", g, rt)
	}
	// A token stored before migration 11 may be in the format that names
	// no grant: it is found by hash alone, and rotates within its grant.
	// Tokens stored since are named, and found only by grant and hash.
	if _, g, err := db.RefreshToken(ctx, "", "rt0"); err != nil || g.ID != "g1" {
		t.Errorf("a token stored before migration 11, by hash alone: grant %q, %v; want g1", g.ID, err)
	}
	if err := db.RotateRefreshToken(ctx, "rt0", now, store.RefreshToken{Hash: "rt1", GrantID: "g1", Generation: 1,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatalf("rotating a token stored before migration 11: %v", err)
	}
	if rt, _, err := db.RefreshToken(ctx, "", "rt0"); err != nil || rt.SuccessorHash != "rt1" {
		t.Errorf("the rotated token by hash alone: successor %q, %v; want rt1", rt.SuccessorHash, err)
	}
	if _, _, err := db.RefreshToken(ctx, "g1", "rt1"); err != nil {
		t.Errorf("its successor, by grant: %v", err)
	}
	if _, _, err := db.RefreshToken(ctx, "", "rt1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("its successor by hash alone: %v, want ErrNotFound (every token stored since is named)", err)
	}
	if err := db.CreateSession(ctx, store.Session{ID: "s1", SID: "sid-1", Subject: "alice", CreatedAt: now}, store.Event{}); err != nil {
		t.Errorf("CreateSession after upgrade: %v", err)
	}
	if n, err := db.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a", SessionID: "sid-1"}, now, store.Event{}); err != nil || n != 1 {
		t.Errorf("RevokeGrants by session after upgrade = %d, %v; want 1", n, err)
	}
}

// RevokeGrants by session alone must not scan every grant.
func TestRevokeBySessionUsesIndex(t *testing.T) {
	wantIndex(t, "grants_session_id", `UPDATE grants SET revoked_at = 1 WHERE revoked_at IS NULL AND session_id = ?`)
}

// version1 makes a database as a build that knew only migration 1 left it,
// with one grant per key of tokens (client client-a, subject alice,
// session sid-1) holding the token hash given, written with that
// version's SQL (today's statements name columns it did not have), and
// returns its path.
func version1(t *testing.T, now time.Time, tokens map[string]string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tollgate.db")
	raw, err := sql.Open("sqlite", dsn(path, writerParams))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	all := migrations
	migrations = all[:1]
	err = migrate(ctx, raw)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	for id, hash := range tokens {
		for _, q := range []string{
			`INSERT INTO grants (id, client_id, subject, scopes, session_id, amr, created_at, expires_at)
				VALUES (?3, 'client-a', 'alice', '["openid"]', 'sid-1', '[]', ?1, ?2)`,
			`INSERT INTO refresh_tokens (grant_id, seq, hash, generation, created_at, expires_at, successor_hash)
				VALUES (?3, 0, ?4, 0, ?1, ?2, '')`,
		} {
			if _, err := raw.ExecContext(ctx, q, now.UnixMicro(), now.Add(time.Hour).UnixMicro(), id, hash); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path
}

// Lookups of tokens that name no grant, batched with rotations into the
// rotator's transaction, read through that transaction's statements: the
// writer has one connection, which the transaction holds, so a statement
// not bound to it would wait for it forever.
func TestLegacyLookupsBesideRotations(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	legacy := map[string]string{}
	for i := range 8 {
		legacy[fmt.Sprintf("old%d", i)] = fmt.Sprintf("old-rt%d", i)
	}
	db, err := Open(ctx, version1(t, now, legacy))
	if err != nil {
		t.Fatal(err)
	}
	stuck := false
	defer func() {
		if !stuck { // Close would wait for the stuck rotator
			db.Close()
		}
	}()
	const rounds = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(legacy)*rounds)
	for i := range 8 {
		id := fmt.Sprintf("new%d", i)
		g := store.Grant{ID: id, ClientID: "client-a", Subject: "alice", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateGrant(ctx, g, store.RefreshToken{Hash: id + "-0", GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, store.Event{}); err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() { // rotations of a named grant
			defer wg.Done()
			for gen := 1; gen <= rounds; gen++ {
				next := store.RefreshToken{Hash: fmt.Sprintf("%s-%d", id, gen), GrantID: id, Generation: gen, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				errs <- db.RotateRefreshToken(ctx, fmt.Sprintf("%s-%d", id, gen-1), now, next)
			}
		}()
		go func() { // lookups of a token that names no grant
			defer wg.Done()
			for range rounds {
				_, g, err := db.RefreshToken(ctx, "", fmt.Sprintf("old-rt%d", i))
				if err == nil && g.ID != fmt.Sprintf("old%d", i) {
					err = fmt.Errorf("old-rt%d found in grant %q", i, g.ID)
				}
				errs <- err
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		stuck = true
		t.Fatal("lookups and rotations did not finish in 30 s: a statement waits for the writer's connection")
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// The janitor removes a legacy hash (migration 11) once its token is gone,
// and keeps those whose token is still there.
func TestLegacyHashesPruned(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	db, err := Open(ctx, version1(t, now, map[string]string{"g1": "rt0", "g2": "old-g2"}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for gen := 1; gen <= 2; gen++ { // rt0 goes with the second rotation
		next := store.RefreshToken{Hash: fmt.Sprintf("rt%d", gen), GrantID: "g1", Generation: gen, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.RotateRefreshToken(ctx, fmt.Sprintf("rt%d", gen-1), now, next); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.DeleteExpired(ctx, now); n != 1 || err != nil {
		t.Errorf("DeleteExpired = %d, %v; want 1 (rt0's legacy hash, nothing expired)", n, err)
	}
	var left []string
	rows, err := db.w.QueryContext(ctx, `SELECT hash FROM legacy_refresh_hashes ORDER BY hash`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		left = append(left, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"old-g2"}) {
		t.Errorf("legacy hashes after DeleteExpired: %v, want [old-g2]", left)
	}
	if _, g, err := db.RefreshToken(ctx, "", "old-g2"); err != nil || g.ID != "g2" {
		t.Errorf("old-g2 by hash alone after DeleteExpired: grant %q, %v; want g2", g.ID, err)
	}
}
