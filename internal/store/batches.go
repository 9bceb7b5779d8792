package store

import "sync/atomic"

// The kinds of call a store may group-commit (BatchCount.Kind).
const (
	BatchLookup = iota // RefreshToken
	BatchRotate        // RotateRefreshToken
	BatchUseJTI        // UseJTI
	NumBatchKinds
)

// BatchKinds names each kind, as the metrics label it.
var BatchKinds = [NumBatchKinds]string{"refresh_token", "rotate_refresh_token", "use_jti"}

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
