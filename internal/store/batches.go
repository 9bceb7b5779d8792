package store

import (
	"context"
	"errors"
	"sync/atomic"
)

// The kinds of call a store may group-commit (BatchCount.Kind).
const (
	BatchLookup = iota // RefreshToken
	BatchRotate        // RotateRefreshToken
	BatchUseJTI        // UseJTI
	NumBatchKinds
)

// Retrier is a store that retries what its database asks it to retry
// (PostgreSQL: serialization failures and deadlocks, 40001 and 40P01, and
// statements that failed before they were sent), unseen by its callers,
// and counts the retries since it opened. Under SERIALIZABLE they are
// the price of the isolation an operator chose; /metrics serves them.
type Retrier interface {
	Retries() int64
}

// Batcher is a store that group-commits its hot path and counts it.
type Batcher interface {
	Batches() *BatchCounts
}

// BatchCounts counts, by kind, the calls a store has sent in batches and
// the batches they went in, since it opened: calls / batches is the mean
// batch size. The SQLite and PostgreSQL stores keep one and expose it
// as Batches(); a store that batches nothing has none.
type BatchCounts struct {
	calls, batches [NumBatchKinds]atomic.Int64
}

// Add counts one batch of n calls of kind; a batch of none is not one.
func (b *BatchCounts) Add(kind, n int) {
	if n > 0 {
		b.calls[kind].Add(int64(n))
		b.batches[kind].Add(1)
	}
}

// Get returns the counts of kind.
func (b *BatchCounts) Get(kind int) (calls, batches int64) {
	return b.calls[kind].Load(), b.batches[kind].Load()
}

// ErrClosed: the store was closed before a batching goroutine took the
// call.
var ErrClosed = errors.New("store closed")

// HandOff gives v to a store's batching goroutine on to, unless ctx ends
// (ctx.Err()) or the store closes first (closing closed: ErrClosed). It
// needs no deadline of its own: a batch runs under the earliest deadline
// of its calls, all handed over before v, so a batcher is free again by
// v's own deadline.
func HandOff[T any](ctx context.Context, closing <-chan struct{}, to chan<- T, v T) error {
	select {
	case to <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closing:
		return ErrClosed
	}
}
