package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Group commit. A durable rotation costs a WAL flush (an fdatasync, about
// half a millisecond on this machine kind's disk), and each rotation in its
// own transaction made a node's rotations wait on flushes two or three at
// a time. So rotations are batched, as the SQLite store batches them: a
// rotator goroutine takes every rotation queued while its previous batch
// ran and sends them as one pipeline (pgx SendBatch: every statement, then
// one Sync), which PostgreSQL runs as one implicit transaction. One round
// trip, one commit and one flush for the batch; no caller hears "ok"
// before that commit.
//
// Each statement in the batch is rotateSQL as it runs alone, with its own
// snapshot under READ COMMITTED, and sees the batch's earlier statements:
// of two rotations of one token in a batch the second consumes nothing.
// What holds for one rotation (doc.go) holds for each.
//
// A batch fails as a whole. When the database asks for a retry (40001,
// 40P01) or nothing was sent, the whole batch is tried again (db.run).
// When a statement fails (a successor hash that exists, a grant deleted
// under the rotation), every rotation of the batch is tried again on its
// own (rotateOne), so that only the faulty one fails. When the database is
// away or too slow, every caller of the batch gets ErrUnavailable.

// maxBatch bounds one batch, so a burst cannot make one transaction hold
// many rows' locks for long.
const maxBatch = 128

// rotators is how many batches a node may have in flight at once, each on
// a pooled connection: while one waits for its flush, the next one fills.
const rotators = 2

// rotation is one RotateRefreshToken call waiting for a rotator.
type rotation struct {
	deadline   time.Time // the caller waits this long at most: handed over + the StatementTimeout
	oldHash    string
	consumedAt time.Time
	next       store.RefreshToken
	n          int        // rows rotateSQL reported for it: 1 rotated, 0 matched nothing
	done       chan error // buffered: a rotator never waits on a caller
}

// RotateRefreshToken implements store.Store: the rotation is handed to a
// rotator and committed in its batch.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	if consumedAt.IsZero() {
		return fmt.Errorf("postgres: rotate: consumedAt: %w", errZeroTime)
	}
	if err := ctx.Err(); err != nil {
		return db.fail(ctx, "rotate", err)
	}
	r := &rotation{deadline: db.deadline(ctx), oldHash: oldHash, consumedAt: consumedAt, next: next,
		done: make(chan error, 1)}
	if err := handOver(ctx, db, db.rotations, r, r.deadline); err != nil {
		return db.fail(ctx, "rotate", err)
	}
	// Once handed over, wait for the outcome even if ctx ends: the batch
	// ends by its deadline, and "cancelled" about a rotation that then
	// commits would send the client back with a token already consumed.
	return <-r.done
}

// rotateBatch commits batch and answers each of its callers.
func (db *DB) rotateBatch(batch []*rotation) {
	// One lock order for every batch: by grant, then token. Two batches
	// that rotate tokens of the same grants (a client retrying on two
	// nodes) then take their row locks in the same order, and wait for
	// each other instead of deadlocking.
	slices.SortFunc(batch, func(a, b *rotation) int {
		return cmp.Or(cmp.Compare(a.next.GrantID, b.next.GrantID), cmp.Compare(a.oldHash, b.oldHash))
	})
	ctx, cancel := earliest(batch, func(r *rotation) time.Time { return r.deadline })
	defer cancel()
	var last error // the last try's own error, as the database gave it
	err := db.run(ctx, "rotate", 0, func(ctx context.Context) error {
		last = db.sendBatch(ctx, batch)
		return last
	})
	var pe *pgconn.PgError
	switch {
	case err == nil:
		for _, r := range batch {
			r.done <- db.judged(ctx, r)
		}
	case errors.As(last, &pe) && !unavailable(last):
		// A statement failed, so nothing was written: each on its own.
		for _, r := range batch {
			r.done <- db.rotateOne(ctx, r.oldHash, r.consumedAt, r.next)
		}
	default:
		for _, r := range batch {
			r.done <- err
		}
	}
}

// sendBatch runs rotateSQL for each rotation of batch in one pipeline, one
// implicit transaction, and records what each statement reported. It
// returns once the transaction has committed, or with the error that
// rolled it back.
func (db *DB) sendBatch(ctx context.Context, batch []*rotation) error {
	var b pgx.Batch
	for _, r := range batch {
		r.n = 0
		b.Queue(rotateSQL, rotateArgs(r.oldHash, r.consumedAt, r.next)...)
	}
	res := db.pool.SendBatch(ctx, &b)
	var first error
	for _, r := range batch {
		if err := res.QueryRow().Scan(&r.n); err != nil && first == nil {
			first = err
		}
	}
	// Close reads to the end of the pipeline: the commit, or its failure.
	if err := res.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// judged is the outcome of a rotation whose batch committed: nil when it
// rotated, otherwise why it matched nothing (whyNot). A token that is live
// yet was not matched was committed after its statement's snapshot; it is
// rotated again on its own.
func (db *DB) judged(ctx context.Context, r *rotation) error {
	if r.n == 1 {
		return nil
	}
	err := db.do(ctx, "rotate", func(ctx context.Context) error { return db.whyNot(ctx, r.next.GrantID, r.oldHash) })
	if err != nil {
		return err
	}
	return db.rotateOne(ctx, r.oldHash, r.consumedAt, r.next)
}
