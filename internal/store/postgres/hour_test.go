package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// hourEdges are expiries at and beside an hour's boundary, where a
// writer that computed the hour otherwise (rounding, seconds, another
// parameter) would disagree with the janitor's hourOf.
func hourEdges() []time.Time {
	edge := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
	return []time.Time{edge, edge.Add(-time.Microsecond), edge.Add(time.Microsecond), edge.Add(-time.Nanosecond),
		edge.Add(59*time.Minute + 59*time.Second + 999999*time.Microsecond), {}}
}

// badHours lists the tokens whose expires_hour is not hourOf(expires_at).
func badHours(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(), `SELECT hash || ': ' || coalesce(expires_hour::text, 'none') || ' for ' ||
		coalesce(expires_at::text, 'no expiry') FROM refresh_tokens WHERE expires_hour IS DISTINCT FROM `+postgres.HourOf("expires_at"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return bad
}

// TestExpiresHourWritten: every statement that writes a token's expiry
// writes the hour the janitor finds it by (migration 0011: no longer
// generated), at and beside an hour's boundary: CreateGrant, a grant's
// first rotation (the successor inserted) and its later ones (written
// over the predecessor's row), ExtendRefreshToken, and Prefill, which
// computes the hour in Go.
func TestExpiresHourWritten(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	now := time.Now()
	for i, exp := range hourEdges() {
		id := fmt.Sprint("g", i)
		tok := func(gen int) store.RefreshToken {
			return store.RefreshToken{Hash: fmt.Sprintf("%s-rt%d", id, gen), GrantID: id, Generation: gen, CreatedAt: now, ExpiresAt: exp}
		}
		g := store.Grant{ID: id, ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		var ev store.Event // CreateGrant has a statement with the event and one without
		if i%2 == 1 {
			ev = store.Event{Kind: store.EventSignIn, Time: now, Actor: "client", ActorID: "c"}
		}
		if err := db.CreateGrant(ctx, g, tok(0), ev); err != nil {
			t.Fatal(err)
		}
		if bad := badHours(t, db); len(bad) > 0 {
			t.Fatalf("after CreateGrant: %v", bad)
		}
		for gen := 1; gen <= 2; gen++ {
			next := tok(gen)
			next.ExpiresAt = hourEdges()[(i+gen)%len(hourEdges())]
			if err := db.RotateRefreshToken(ctx, tok(gen-1).Hash, now, next); err != nil {
				t.Fatal(err)
			}
			if bad := badHours(t, db); len(bad) > 0 {
				t.Fatalf("after rotation %d: %v", gen, bad)
			}
		}
		if !exp.IsZero() {
			if err := db.ExtendRefreshToken(ctx, id, tok(2).Hash, exp.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if bad := badHours(t, db); len(bad) > 0 {
				t.Fatalf("after ExtendRefreshToken: %v", bad)
			}
		}
	}
	edges := append(hourEdges(), time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC))
	err := db.Prefill(ctx, len(edges), func(i int) (store.Grant, store.RefreshToken, error) {
		id := fmt.Sprint("p", i)
		return store.Grant{ID: id, ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			store.RefreshToken{Hash: id + "-rt0", GrantID: id, CreatedAt: now, ExpiresAt: edges[i]}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bad := badHours(t, db); len(bad) > 0 {
		t.Errorf("after Prefill: %v", bad)
	}
}

// TestMigration11KeepsHours: the hours PostgreSQL generated up to version
// 10 stay as they were once migration 0011 makes the column a plain one,
// and a token of the older version's kind (no hour: inserted by a node of
// version 10 during a rolling upgrade) still goes with its grant.
func TestMigration11KeepsHours(t *testing.T) {
	ctx := context.Background()
	db := openAtVersion(t, 10)
	now := time.Now()
	for i, exp := range hourEdges() {
		id := fmt.Sprint("g", i)
		insertGrantRow(t, db, id, now, now.Add(time.Hour))
		var e any = exp
		if exp.IsZero() {
			e = nil
		}
		if _, err := db.Pool().Exec(ctx, `INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, expires_at, successor_hash)
			VALUES ($1, $1, 0, $2, $3, '')`, id, now, e); err != nil {
			t.Fatal(err)
		}
	}
	var before string
	if err := db.Pool().QueryRow(ctx, `SELECT string_agg(grant_id || '=' || coalesce(expires_hour::text, '-'), ',' ORDER BY grant_id)
		FROM refresh_tokens`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var after string
	if err := db.Pool().QueryRow(ctx, `SELECT string_agg(grant_id || '=' || coalesce(expires_hour::text, '-'), ',' ORDER BY grant_id)
		FROM refresh_tokens`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("hours after migration 11: %s; want %s", after, before)
	}
	if bad := badHours(t, db); len(bad) > 0 {
		t.Errorf("after migration 11: %v", bad)
	}
	// A version 10 node's insert, which names no hour, and its grant expired.
	insertGrantRow(t, db, "old", now.Add(-2*time.Hour), now.Add(-time.Hour))
	if _, err := db.Pool().Exec(ctx, `INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, expires_at, successor_hash)
		VALUES ('old-rt0', 'old', 0, $1, $2, '')`, now.Add(-2*time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if n, err := db.TokenRows(ctx, "old"); n != 0 || err != nil {
		t.Errorf("a token with no hour, of an expired grant, after DeleteExpired: %d rows, %v; want none", n, err)
	}
}
