package postgres

import (
	"context"
	"errors"
	"time"
)

// The hot path's calls are batched (rotator.go, lookup.go): a caller hands
// its call to one of a few goroutines, each of which takes every call
// queued while its previous batch ran and sends them in one round trip.

// errStoreClosed: the store was closed before a batch took the call.
var errStoreClosed = errors.New("store closed")

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

// handOver gives v to a batching goroutine on ch, unless ctx ends, the
// deadline passes first (every goroutine is busy with a batch the database
// is slow to answer: context.DeadlineExceeded), or the store closes.
func handOver[T any](ctx context.Context, db *DB, ch chan<- T, v T, deadline time.Time) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return context.DeadlineExceeded
	case <-db.closing:
		return errStoreClosed
	}
}

// batches runs until Close: it waits for a call on ch, takes every other
// call already waiting, up to max, and gives them to run.
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
