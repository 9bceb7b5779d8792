package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The hot path's calls are batched (writer.go, lookup.go): a caller hands
// its call to one of a few goroutines, each of which takes every call
// queued while its previous batch ran and sends them in one round trip.

// deadline is when a call made now under ctx must be answered: the
// StatementTimeout from now, or ctx's deadline if sooner. A batch runs
// under the earliest deadline of its calls, so a call waits no longer for
// being batched than it would alone.
func (db *DB) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(db.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
		return cd
	}
	return d
}

// submit hands v to a batching goroutine on ch and waits for its answer
// on done. Once handed over, it waits even if ctx ends: the batch ends by
// its deadline, and "cancelled" about a write that then commits (a
// rotation, a jti) would send the client back to retry what is already
// done.
func submit[T any](ctx context.Context, db *DB, op string, ch chan<- T, v T, done <-chan error) error {
	if err := ctx.Err(); err != nil {
		return db.fail(ctx, op, err)
	}
	if err := store.HandOff(ctx, db.closing, ch, v); err != nil {
		return db.fail(ctx, op, err)
	}
	return <-done
}

// batches runs until Close: it waits for a call on ch, takes every other
// call already waiting, up to max, and gives them to run, which counts
// them (db.batched).
func batches[T any](db *DB, ch <-chan T, max int, run func([]T)) {
	defer db.batchersDone.Done()
	batch := make([]T, 0, max)
	for {
		batch = batch[:0]
		select {
		case <-db.closing:
			return
		case v := <-ch:
			batch = append(batch, v)
		}
	drain:
		for len(batch) < max {
			select {
			case v := <-ch:
				batch = append(batch, v)
			default:
				break drain
			}
		}
		run(batch)
		clear(batch) // drop references to answered callers
	}
}

// earliest is a context for a batch: it serves many callers, so it runs
// under none of their contexts, only under the earliest of their
// deadlines.
func earliest[T any](batch []T, deadline func(T) time.Time) (context.Context, context.CancelFunc) {
	d := deadline(batch[0])
	for _, v := range batch[1:] {
		if dv := deadline(v); dv.Before(d) {
			d = dv
		}
	}
	return context.WithDeadline(context.Background(), d)
}

// A write is one call batched with others into one transaction
// (rotations, jti uses; writer.go): the transaction's commit is one WAL
// flush for the batch.
type write interface {
	deadlineOf() time.Time
	// lockOrder is the call's place in its batch: its kind (lockJTI,
	// lockRotation), then the two keys of the rows it locks.
	lockOrder() (kind int, key1, key2 string)
	// statement returns one integer: the rows the call wrote.
	statement() (sql string, args []any)
	// committed is the call's outcome once its batch committed, its
	// statement having reported n.
	committed(ctx context.Context, db *DB, n int) error
	// alone is the call in a transaction of its own.
	alone(ctx context.Context, db *DB) error
	reply(err error)
}

// commitBatch sends the statements of batch as one pipeline (pgx
// SendBatch: every statement, then one Sync), which PostgreSQL runs as one
// implicit transaction, and answers each caller once it committed. Each
// statement has its own snapshot under READ COMMITTED and sees the batch's
// earlier ones.
//
// A batch fails as a whole. When the database asks for a retry (40001,
// 40P01) or nothing was sent, the whole batch is tried again (db.run).
// When a statement fails, nothing was written, and each call is tried
// again on its own, so that only the faulty one fails. When the database
// is away or too slow, every caller gets ErrUnavailable, no later than
// its own deadline.
func commitBatch[W write](db *DB, op string, batch []W) {
	ctx, cancel := earliest(batch, W.deadlineOf)
	defer cancel()
	counts := make([]int, len(batch))
	var last error // the last try's own error, as the database gave it
	err := db.run(ctx, op, 0, func(ctx context.Context) error {
		last = sendBatch(ctx, db, batch, counts)
		return last
	})
	var pe *pgconn.PgError
	switch {
	case err == nil:
		// The calls that wrote first: a call that wrote nothing may need
		// a read to say why (a rotation's cold path), and the others
		// need not wait for it.
		for i, w := range batch {
			if counts[i] > 0 {
				w.reply(w.committed(ctx, db, counts[i]))
			}
		}
		for i, w := range batch {
			if counts[i] == 0 {
				w.reply(w.committed(ctx, db, 0))
			}
		}
	case errors.As(last, &pe) && !unavailable(last):
		for _, w := range batch {
			w.reply(w.alone(ctx, db))
		}
	default:
		for _, w := range batch {
			w.reply(err)
		}
	}
}

// sendBatch runs the statements of batch in one pipeline, one implicit
// transaction, and stores what each reported in counts. It returns once
// the transaction has committed, or with the error that rolled it back.
func sendBatch[W write](ctx context.Context, db *DB, batch []W, counts []int) error {
	var b pgx.Batch
	for _, w := range batch {
		q, args := w.statement()
		b.Queue(q, args...)
	}
	res := db.hot.SendBatch(ctx, &b)
	var first error
	for i := range batch {
		counts[i] = 0
		if err := res.QueryRow().Scan(&counts[i]); err != nil && first == nil {
			first = err
		}
	}
	// Close reads to the end of the pipeline: the commit, or its failure.
	if err := res.Close(); err != nil && first == nil {
		first = err
	}
	return first
}
