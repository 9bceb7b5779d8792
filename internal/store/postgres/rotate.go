package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// rotateSQL is the whole rotation, one statement and one round trip (doc.go
// says why exactly one of concurrent rotations wins). A grant's tokens are
// keyed (grant_id, slot), slot = generation % 2 (migration 0010), and no
// index covers a column whose value a rotation changes, but for
// expires_hour when the expiry moves into another hour, so both of its
// updates are HOT updates: no index entry is written.
//
//   - old consumes the presented token ($3) if it is unconsumed, in the
//     successor's grant ($4), and that grant is not revoked. It finds the
//     token by the whole primary key: its slot is the other one than the
//     successor's ($5, its generation, one more than the token's). By
//     grant_id alone the planner chose a bitmap heap scan;
//   - reused turns the grant's other row, the token the presented one
//     replaced, into the successor, only if old matched: that token goes,
//     as the store contract wants (a grant keeps its live token and the one
//     before it, for a retry within the grace window), and its row holds
//     the successor, in the same slot (its generation has the successor's
//     parity). Rewriting a row of the same grant needs no foreign-key
//     check, which an INSERT does: a query on grants and a share lock on
//     the grant's row, written to the WAL and dirtying the grant's page on
//     every rotation;
//   - next inserts the successor when there was no such token to reuse
//     (the first rotation of a grant, or the janitor took it), only if
//     old matched.
//
// A successor hash the grant holds fails the whole statement: reused skips
// a row whose hash is the successor's, so next inserts into a slot that is
// taken, and the primary key refuses it (unique_violation, ErrConflict).
// The presented token's own hash is refused before (RotateRefreshToken).
// It returns 1 when the rotation happened, 0 when old matched nothing.
var rotateSQL = `WITH old AS (
		UPDATE refresh_tokens t SET consumed_at = $1, successor_hash = $2
		WHERE t.grant_id = $4 AND t.slot = 1 - $5 % 2 AND t.hash = $3 AND t.consumed_at IS NULL
			AND EXISTS (SELECT 1 FROM grants g WHERE g.id = t.grant_id AND g.revoked_at IS NULL)
		RETURNING t.grant_id, t.slot
	), reused AS (
		UPDATE refresh_tokens p SET hash = $2, generation = $5, created_at = $6, expires_at = $7, expires_hour = ` + hourOf("$7::timestamptz") + `,
			consumed_at = $8, successor_hash = $9, proof_key = $10, node = $11, remote_addr = $12, user_agent = $13
		FROM old
		WHERE p.grant_id = old.grant_id AND p.slot = 1 - old.slot AND p.hash <> $2
		RETURNING 1
	), next AS (
		INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, expires_at, expires_hour, consumed_at, successor_hash,
			proof_key, node, remote_addr, user_agent)
		SELECT $2, old.grant_id, $5, $6, $7, ` + hourOf("$7::timestamptz") + `, $8, $9, $10, $11, $12, $13 FROM old
		WHERE NOT EXISTS (SELECT 1 FROM reused)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM reused) + (SELECT count(*) FROM next)`

// rotateOne is one rotation in a transaction of its own: rotateSQL, and
// when it matched nothing, a read that says why (the cold path). A batch
// that failed on a statement (rotator.go) tries each of its rotations
// this way.
func (db *DB) rotateOne(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	return db.do(ctx, "rotate", func(ctx context.Context) error {
		var n int
		err := db.pool.QueryRow(ctx, rotateSQL, rotateArgs(oldHash, consumedAt, next)...).Scan(&n)
		if sqlState(err) == "23503" {
			// foreign_key_violation: DeleteExpired removed the grant while
			// this ran; the retry finds the token gone (ErrNotFound).
			return errRetry
		}
		if err != nil || n == 1 {
			return err
		}
		if err := db.whyNot(ctx, next.GrantID, oldHash, next.Generation); err != nil {
			return err
		}
		// Live, in this grant, yet not matched: committed after the
		// statement's snapshot. Try again.
		return errRetry
	})
}

// rotateArgs are rotateSQL's arguments, $1 to $13.
func rotateArgs(oldHash string, consumedAt time.Time, next store.RefreshToken) []any {
	return []any{consumedAt, next.Hash, oldHash, next.GrantID, next.Generation,
		ts(next.CreatedAt), ts(next.ExpiresAt), ts(next.ConsumedAt), next.SuccessorHash, next.ProofKey,
		next.Node, next.RemoteAddr, next.UserAgent}
}

// ExtendRefreshToken implements store.Store: one conditional UPDATE, and
// the cold path's read when it matched nothing.
func (db *DB) ExtendRefreshToken(ctx context.Context, grantID, hash string, expiresAt time.Time) error {
	return db.do(ctx, "extend", func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, `UPDATE refresh_tokens t SET expires_at = $1, expires_hour = `+hourOf("$1::timestamptz")+`
			WHERE t.grant_id = $3 AND t.hash = $2 AND t.consumed_at IS NULL
				AND EXISTS (SELECT 1 FROM grants g WHERE g.id = t.grant_id AND g.revoked_at IS NULL)`,
			ts(expiresAt), hash, grantID)
		if err != nil || tag.RowsAffected() == 1 {
			return err
		}
		if err := db.whyNot(ctx, grantID, hash, -1); err != nil {
			return err
		}
		return errRetry
	})
}

// whyNot explains a conditional write to the token hash of grant grantID
// that matched no row: ErrNotFound if the grant holds no such token,
// ErrConflict if it is consumed or its grant revoked, nil if it is live
// (the write's snapshot predates a commit: the caller tries again). It
// reads with a snapshot taken after the write's: under READ COMMITTED the
// write waited for any rotation holding the row, so it sees that
// rotation's outcome. A rotation (successor's generation next, not -1)
// into a generation other than the one after the token's cannot find it
// in its slot, and fails: the store contract counts generations up by one.
func (db *DB) whyNot(ctx context.Context, grantID, hash string, next int) error {
	var dead bool
	var gen int
	err := found(db.pool.QueryRow(ctx, `SELECT t.consumed_at IS NOT NULL OR g.revoked_at IS NOT NULL, t.generation
		FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.grant_id = $2 AND t.hash = $1`,
		hash, grantID).Scan(&dead, &gen))
	switch {
	case err != nil:
		return err
	case dead:
		return store.ErrConflict
	case next >= 0 && next != gen+1:
		return fmt.Errorf("successor's generation %d does not follow the token's %d", next, gen)
	}
	return nil
}
