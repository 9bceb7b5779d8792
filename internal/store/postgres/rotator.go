package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Group commit. A durable rotation costs a WAL flush (an fdatasync, about
// half a millisecond on this machine kind's disk), and each rotation in its
// own transaction made a node's rotations wait on flushes two or three at
// a time. So rotations are batched, as the SQLite store batches them: the
// writer goroutine (writer.go) takes every rotation queued while its
// previous batch ran and sends them as one pipeline (pgx SendBatch: every
// statement, then one Sync), which PostgreSQL runs as one implicit
// transaction. One round trip, one commit and one flush for the batch; no
// caller hears "ok" before that commit.
//
// Each statement in the batch is rotateSQL as it runs alone, with its own
// snapshot under READ COMMITTED, and sees the batch's earlier statements:
// of two rotations of one token in a batch the second consumes nothing.
// What holds for one rotation (doc.go) holds for each.
//
// A batch fails as a whole (commitBatch): a statement that fails it (a
// successor hash that exists, a grant deleted under the rotation) sends
// every rotation again on its own (rotateOne), so only the faulty one
// fails.

// maxBatch bounds one batch, so a burst cannot make one transaction hold
// many rows' locks for long.
const maxBatch = 128

// rotation is one RotateRefreshToken call waiting for the writer.
type rotation struct {
	deadline   time.Time // db.deadline when asked: the batch answers by its earliest
	oldHash    string
	consumedAt time.Time
	next       store.RefreshToken
	done       chan error // buffered: a rotator never waits on a caller
}

// RotateRefreshToken implements store.Store: the rotation is handed to the
// writer (writer.go) and committed in its batch.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	if consumedAt.IsZero() {
		return fmt.Errorf("postgres: rotate: consumedAt: %w", errZeroTime)
	}
	if next.Hash == oldHash {
		// The grant holds a token with the successor's hash: the very one
		// presented. rotateSQL's key sees only the grant's other row.
		return db.fail(ctx, "rotate", store.ErrConflict)
	}
	r := &rotation{deadline: db.deadline(ctx), oldHash: oldHash, consumedAt: consumedAt, next: next,
		done: make(chan error, 1)}
	return submit[write](ctx, db, "rotate", db.writes, r, r.done)
}

func (r *rotation) deadlineOf() time.Time { return r.deadline }

func (r *rotation) lockOrder() (int, string, string) { return lockRotation, r.next.GrantID, r.oldHash }

func (r *rotation) statement() (string, []any) {
	return rotateSQL, rotateArgs(r.oldHash, r.consumedAt, r.next)
}

// committed is the outcome of a rotation whose batch committed: nil when
// it rotated, otherwise why it matched nothing (whyNot). A token that is
// live yet was not matched was committed after its statement's snapshot;
// it is rotated again on its own.
func (r *rotation) committed(ctx context.Context, db *DB, n int) error {
	if n == 1 {
		return nil
	}
	err := db.do(ctx, "rotate", func(ctx context.Context) error { return db.whyNot(ctx, r.next.GrantID, r.oldHash, r.next.Generation) })
	if err != nil {
		return err
	}
	return r.alone(ctx, db)
}

func (r *rotation) alone(ctx context.Context, db *DB) error {
	return db.rotateOne(ctx, r.oldHash, r.consumedAt, r.next)
}

func (r *rotation) reply(err error) { r.done <- err }
