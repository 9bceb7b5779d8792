package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// DeleteExpired goes on batch after batch until everything expired is
// gone, and counts every row.
func TestDeleteExpiredBatches(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	const n = 2500 // two and a half batches
	now := time.Now()
	if _, err := db.Pool().Exec(ctx, `INSERT INTO auth_codes (hash, client_id, redirect_uri, code_challenge,
			code_challenge_method, subject, scopes, nonce, session_id, amr, grant_id, expires_at)
		SELECT 'code-' || i, 'c', '', '', '', 's', '{}', '', '', '{}', '', $1 FROM generate_series(1, $2) i`,
		now.Add(-time.Minute), n); err != nil {
		t.Fatal(err)
	}
	live := store.AuthCode{Hash: "live", ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	if err := db.CreateAuthCode(ctx, live); err != nil {
		t.Fatal(err)
	}
	got, err := db.DeleteExpired(ctx, now)
	if err != nil || got != n {
		t.Errorf("DeleteExpired = %d, %v; want %d", got, err, n)
	}
	if _, err := db.AuthCode(ctx, "live"); err != nil {
		t.Errorf("live code: %v", err)
	}
	if _, err := db.AuthCode(ctx, "code-2500"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired code-2500: err = %v, want ErrNotFound", err)
	}
}

// The janitor never waits for a row a refresh holds: it skips the row
// (a later run takes it) and finishes at once, rather than queue behind
// the refresh and hold its other locks while it waits.
func TestDeleteExpiredSkipsLockedRows(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{StatementTimeout: 2 * time.Second})
	defer db.Close()
	now := time.Now()
	g, rt0 := grantAndToken("g1")
	rt0.ExpiresAt = now.Add(-time.Minute) // idle-expired, its grant live
	if err := db.CreateGrant(ctx, g, rt0, store.Event{}); err != nil {
		t.Fatal(err)
	}
	g2, rt2 := grantAndToken("g2")
	rt2.ExpiresAt = now.Add(-time.Minute)
	if err := db.CreateGrant(ctx, g2, rt2, store.Event{}); err != nil {
		t.Fatal(err)
	}

	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM refresh_tokens WHERE hash = $1 FOR UPDATE`, rt0.Hash); err != nil {
		t.Fatal(err)
	}
	n, err := within(t, time.Second, "DeleteExpired beside a held row", func() (int, error) { return db.DeleteExpired(ctx, now) })
	if err != nil || n != 1 {
		t.Errorf("DeleteExpired beside a held row = %d, %v; want 1 (the other token)", n, err)
	}
	if _, _, err := db.RefreshToken(ctx, rt0.GrantID, rt0.Hash); err != nil {
		t.Errorf("held token: %v, want it kept for a later run", err)
	}
	tx.Rollback(ctx)
	if n, err := db.DeleteExpired(ctx, now); err != nil || n != 1 {
		t.Errorf("DeleteExpired after the lock went = %d, %v; want 1", n, err)
	}
}
