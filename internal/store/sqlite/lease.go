package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TakeLease implements store.Store: one upsert that writes only when the
// lease is free, lapsed or already the holder's, so of two processes
// taking it at once the single writer lets exactly one in.
func (db *DB) TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if now.IsZero() {
		return false, fmt.Errorf("sqlite: take lease: %w", errZeroTime)
	}
	var took bool
	err := db.write(ctx, "take lease", func(tx *sql.Tx) error {
		var got string
		err := tx.QueryRowContext(ctx, `INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE leases.holder = excluded.holder OR leases.until < ?
			RETURNING holder`, name, holder, micros(now.Add(ttl)), micros(now)).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // held by another, and live
		}
		took = err == nil && got == holder
		return err
	})
	if err != nil {
		return false, err
	}
	return took, nil
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// CountLiveGrants implements store.Store: one COUNT on the reader pool. It
// scans the grants table (no index covers revoked_at), which is why the
// metrics cache its answer.
func (db *DB) CountLiveGrants(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM grants WHERE revoked_at IS NULL AND expires_at > ?`, micros(now)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count live grants: %w", err)
	}
	return n, nil
}
