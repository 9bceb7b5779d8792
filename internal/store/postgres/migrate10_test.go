package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// Migration 10 (tokens keyed by grant and slot) over rows written at
// version 9: every token is found where it was, by grant and hash, and by
// hash alone as a token from before named tokens; the chains go on
// rotating, each into the slot of the token it replaces; and the janitor
// finds the idle-expired ones by the hour the migration computed.
func TestMigration10KeepsTokens(t *testing.T) {
	ctx := context.Background()
	db := openAtVersion(t, 9)
	now := time.Now().UTC().Truncate(time.Second)
	// Rows as version 9 wrote them: g1 rotated to generation 5 (4,
	// consumed, kept for the grace window); g2 never rotated; g3's only
	// token idled out an hour ago.
	for _, id := range []string{"g1", "g2", "g3"} {
		insertGrantRow(t, db, id, now, now.Add(24*time.Hour))
	}
	for _, r := range [][]any{
		{"h4-g1", "g1", 4, now, now.Add(time.Hour), now, "h5-g1"},
		{"h5-g1", "g1", 5, now, now.Add(time.Hour), nil, ""},
		{"h0-g2", "g2", 0, now, now.Add(time.Hour), nil, ""},
		{"h0-g3", "g3", 0, now.Add(-2 * time.Hour), now.Add(-time.Hour), nil, ""},
	} {
		if _, err := db.Pool().Exec(ctx, `INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, expires_at, consumed_at, successor_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate to %d: %v", postgres.KnownVersions(), err)
	}

	for _, l := range []struct {
		grant, hash string
		consumed    bool
	}{{"g1", "h5-g1", false}, {"", "h5-g1", false}, {"g1", "h4-g1", true}, {"", "h4-g1", true}, {"", "h0-g2", false}} {
		rt, g, err := db.RefreshToken(ctx, l.grant, l.hash)
		if err != nil || rt.Hash != l.hash || g.ID != rt.GrantID || rt.Consumed() != l.consumed {
			t.Errorf("after the migration, %s in %q: token %s of %s (consumed %v), %v; want it, consumed %v",
				l.hash, l.grant, rt.Hash, g.ID, rt.Consumed(), err, l.consumed)
		}
	}
	next := func(id string, gen int, hash string) store.RefreshToken {
		return store.RefreshToken{Hash: hash, GrantID: id, Generation: gen, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	if err := db.RotateRefreshToken(ctx, "h5-g1", now, next("g1", 6, "h6-g1")); err != nil {
		t.Fatalf("rotating g1 after the migration: %v", err)
	}
	if _, _, err := db.RefreshToken(ctx, "g1", "h4-g1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("generation 4 after its grant rotated twice: %v, want ErrNotFound (its row holds generation 6)", err)
	}
	if err := db.RotateRefreshToken(ctx, "h0-g2", now, next("g2", 1, "h1-g2")); err != nil {
		t.Fatalf("rotating g2 after the migration: %v", err)
	}
	for _, id := range []string{"g1", "g2"} {
		if n, err := db.TokenRows(ctx, id); n != 2 || err != nil {
			t.Errorf("rows of %s: %d, %v; want 2", id, n, err)
		}
	}
	// g3's idle token, and the legacy hashes of the tokens gone: g1's
	// generation 4 (its row holds generation 6) and g3's.
	if n, err := db.DeleteExpired(ctx, now); n != 3 || err != nil {
		t.Errorf("DeleteExpired after the migration = %d, %v; want 3 (g3's idle token, two legacy hashes)", n, err)
	}
	if _, _, err := db.RefreshToken(ctx, "g3", "h0-g3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("g3's idle token after DeleteExpired: %v, want ErrNotFound", err)
	}
	var kept []string
	if err := db.Pool().QueryRow(ctx, `SELECT array_agg(hash ORDER BY hash) FROM legacy_refresh_hashes`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if want := []string{"h0-g2", "h5-g1"}; !slices.Equal(kept, want) {
		t.Errorf("legacy hashes after DeleteExpired: %v, want %v (those whose token is still there)", kept, want)
	}
	for _, h := range []string{"h5-g1", "h0-g2"} {
		if _, _, err := db.RefreshToken(ctx, "", h); err != nil {
			t.Errorf("%s by hash alone after DeleteExpired: %v", h, err)
		}
	}
}

// openAtVersion opens a fresh schema migrated up to version v only, for a
// test that writes rows as version v did and then migrates them.
func openAtVersion(t *testing.T, v int) *postgres.DB {
	t.Helper()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{NoMigrate: true})
	t.Cleanup(func() { db.Close() })
	if err := db.MigrateTo(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	return db
}

// insertGrantRow writes a grant's row with the columns every schema
// version has, for tests that write rows as an older version would.
func insertGrantRow(t *testing.T, db *postgres.DB, id string, created, expires time.Time) {
	t.Helper()
	if _, err := db.Pool().Exec(context.Background(), `INSERT INTO grants (id, client_id, subject, scopes, session_id, amr,
		created_at, expires_at) VALUES ($1, 'c', 's', '{}', '', '{}', $2, $3)`, id, created, expires); err != nil {
		t.Fatal(err)
	}
}
