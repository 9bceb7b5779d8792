package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// batchSize bounds the rows one DeleteExpired statement removes, and so
// the locks it holds and the time it holds them.
const batchSize = 1000

// sweeps are DeleteExpired's statements, in order, each deleting at most
// batchSize rows whose expiry (or, for parked requests, consumption) is
// before $1, by primary key after choosing them through the expiry index.
// The outer WHERE repeats the predicate where a row's expiry can move
// (ExtendRefreshToken, UseJTI's takeover, SaveConsent): under READ
// COMMITTED a DELETE that waited for a row re-checks its WHERE on the new
// version, so a row made live again in the meantime stays. A grant's
// expiry never moves. An expired grant's tokens go first, then the grant
// once it has none; a NULL expiry never matches "<".
var sweeps = []struct{ name, sql string }{
	{"tokens of expired grants", `DELETE FROM refresh_tokens WHERE hash IN (
		SELECT t.hash FROM grants g JOIN refresh_tokens t ON t.grant_id = g.id WHERE g.expires_at < $1 LIMIT $2)`},
	{"expired grants", `DELETE FROM grants WHERE id IN (
		SELECT g.id FROM grants g WHERE g.expires_at < $1
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.grant_id = g.id) LIMIT $2)`},
	{"expired tokens", `DELETE FROM refresh_tokens WHERE hash IN (
		SELECT hash FROM refresh_tokens WHERE expires_at < $1 LIMIT $2) AND expires_at < $1`},
	{"expired codes", `DELETE FROM auth_codes WHERE hash IN (
		SELECT hash FROM auth_codes WHERE expires_at < $1 LIMIT $2)`},
	{"expired assertion ids", `DELETE FROM used_jtis WHERE (client_id, jti) IN (
		SELECT client_id, jti FROM used_jtis WHERE expires_at < $1 LIMIT $2) AND expires_at < $1`},
	{"expired requests", `DELETE FROM auth_requests WHERE id IN (
		SELECT id FROM auth_requests WHERE expires_at < $1 LIMIT $2)`},
	{"consumed requests", `DELETE FROM auth_requests WHERE id IN (
		SELECT id FROM auth_requests WHERE consumed_at < $1 LIMIT $2)`},
	{"expired sessions", `DELETE FROM sessions WHERE id IN (
		SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2)`},
	{"expired consents", `DELETE FROM consents WHERE (subject, client_id) IN (
		SELECT subject, client_id FROM consents WHERE expires_at < $1 LIMIT $2) AND expires_at < $1`},
}

// DeleteExpired implements store.Store: every sweep, batch after batch,
// each batch one statement in its own transaction, until a batch comes
// back short. A refresh waits at most for one batch's row lock.
func (db *DB) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, s := range sweeps {
		for {
			var n int64
			err := db.do(ctx, "delete expired: "+s.name, func(ctx context.Context) error {
				tag, err := db.pool.Exec(ctx, s.sql, before, batchSize)
				if sqlState(err) == "23503" {
					// foreign_key_violation: a token joined the grant after
					// the batch chose it; choose again.
					return errRetry
				}
				n = tag.RowsAffected()
				return err
			})
			if err != nil {
				return total, err
			}
			total += int(n)
			if n < batchSize {
				break
			}
		}
	}
	return total, nil
}

// TakeLease implements store.Store: one upsert that writes only when the
// lease is free, lapsed or already the holder's. ON CONFLICT DO UPDATE
// locks the row and judges its newest version, so of two nodes taking a
// lapsed lease at once exactly one writes; the other's upsert returns no row.
func (db *DB) TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if now.IsZero() {
		return false, fmt.Errorf("postgres: take lease: %w", errZeroTime)
	}
	var took bool
	err := db.do(ctx, "take lease", func(ctx context.Context) error {
		var got string
		err := db.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until
			WHERE leases.holder = excluded.holder OR leases.held_until < $4
			RETURNING holder`, name, holder, now.Add(ttl), now).Scan(&got)
		took = err == nil && got == holder
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // held by another, and live
		}
		return err
	})
	if err != nil {
		return false, err
	}
	return took, nil
}
