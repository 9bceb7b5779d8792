package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// batchSize bounds the rows one DeleteExpired statement removes, and so
// the locks it holds and the time it holds them. It is written into the
// SQL as a literal, so the planner knows how few rows a batch is.
const batchSize = 1000

// sweep is one of DeleteExpired's statements: choose at most batchSize
// rows of table by pred (through pred's index), locking them FOR UPDATE
// SKIP LOCKED, and delete those by primary key. SKIP LOCKED means a sweep
// never waits for a row a refresh holds; it takes that row in a later
// run. Locking re-checks pred on the row's newest version (READ
// COMMITTED), so a row whose expiry moved in the meantime
// (ExtendRefreshToken, UseJTI's takeover, SaveConsent) stays, and once
// locked, a chosen row cannot change before it is deleted.
func sweep(table, key, from, pred, lockOf string) string {
	var on []string
	for _, k := range strings.Split(key, ", ") {
		on = append(on, "x."+k+" = d."+k)
	}
	return fmt.Sprintf(`WITH d AS (SELECT %s FROM %s WHERE %s LIMIT %d FOR UPDATE%s SKIP LOCKED)
		DELETE FROM %s x USING d WHERE %s`, key, from, pred, batchSize, lockOf, table, strings.Join(on, " AND "))
}

// expiredTokens chooses idle-expired tokens through the index on the hour
// their expiry falls in (migration 0010: expires_at itself is not indexed,
// so a rotation that moves it within the hour touches no index). Every
// token of an earlier hour has expired; those of $1's own hour are
// checked by expires_at.
var expiredTokens = `expires_hour <= ` + hourOf("$1::timestamptz") + ` AND expires_at < $1`

// sweeps are DeleteExpired's statements, in order; $1 is `before`. An
// expired grant's tokens go first, then the grant once it has none (a
// grant's expiry never moves); a NULL expiry never matches "<".
var sweeps = []struct{ name, sql string }{
	{"tokens of expired grants", sweep("refresh_tokens", "grant_id, slot",
		"grants g JOIN refresh_tokens t ON t.grant_id = g.id", "g.expires_at < $1", " OF t")},
	{"expired grants", sweep("grants", "id", "grants g",
		"g.expires_at < $1 AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.grant_id = g.id)", "")},
	{"expired tokens", sweep("refresh_tokens", "grant_id, slot", "refresh_tokens", expiredTokens, "")},
	{"expired codes", sweep("auth_codes", "hash", "auth_codes", "expires_at < $1", "")},
	{"expired assertion ids", sweep("used_jtis", "client_id, jti", "used_jtis", "expires_at < $1", "")},
	{"expired requests", sweep("auth_requests", "id", "auth_requests", "expires_at < $1", "")},
	{"consumed requests", sweep("auth_requests", "id", "auth_requests", "consumed_at < $1", "")},
	{"expired sessions", sweep("sessions", "id", "sessions", "expires_at < $1", "")},
	{"expired consents", sweep("consents", "subject, client_id", "consents", "expires_at < $1", "")},
}

// DeleteExpired implements store.Store: every sweep, batch after batch,
// each batch one statement in its own transaction, until a batch comes
// back short. A refresh that needs a row a batch holds waits for that one
// short statement at most; a batch never waits for a refresh.
func (db *DB) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, s := range sweeps {
		for {
			var n int64
			err := db.do(ctx, "delete expired: "+s.name, func(ctx context.Context) error {
				tag, err := db.pool.Exec(ctx, s.sql, before)
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
	n, err := db.legacy.Run(ctx, db.pruneLegacy)
	return total + n, err
}

// pruneLegacySQL is one step of the walk of legacy_refresh_hashes
// (store.LegacyPrune): the next LegacyBatch hashes in hash order, and of
// those, the ones whose token is gone deleted. A legacy token's row goes
// when its grant rotates twice or the janitor sweeps it, and is never
// written again under that hash, so the NOT EXISTS cannot turn.
var pruneLegacySQL = fmt.Sprintf(`WITH d AS (
		SELECT hash, grant_id FROM legacy_refresh_hashes WHERE hash > $1 ORDER BY hash LIMIT %d
	), x AS (
		DELETE FROM legacy_refresh_hashes l USING d WHERE l.hash = d.hash
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.grant_id = d.grant_id AND t.hash = d.hash)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM d), COALESCE((SELECT max(hash) FROM d), ''), (SELECT count(*) FROM x)`, store.LegacyBatch)

// pruneLegacy is a store.LegacyStep.
func (db *DB) pruneLegacy(ctx context.Context, after string) (read int, last string, deleted int, err error) {
	err = db.do(ctx, "delete expired: legacy hashes", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, pruneLegacySQL, after).Scan(&read, &last, &deleted)
	})
	return read, last, deleted, err
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
