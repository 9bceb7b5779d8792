package store

import (
	"context"
	"sync"
)

// LegacyPrune walks a store's legacy_refresh_hashes (the hashes of the
// tokens it held before it keyed tokens by grant: Store.RefreshToken) a
// few batches per DeleteExpired, and removes each hash whose token is
// gone. Such a row is needed only until its token has been rotated over
// (two rotations later) or swept; a token never comes back under the same
// hash, so a hash found without its token can go at any time. The walk
// goes on where the last call stopped, in hash order, and starts over at
// the end: with the janitor running every minute, LegacyBatches batches a
// run cover a million hashes in under two hours, without one run ever
// reading the whole table.
type LegacyPrune struct {
	mu    sync.Mutex
	after string // the last hash the walk has read; "" at the start
}

// LegacyBatch is how many hashes one step reads; LegacyBatches how many
// steps one Run takes at most.
const (
	LegacyBatch   = 1000
	LegacyBatches = 8
)

// LegacyStep reads up to LegacyBatch hashes after `after`, in hash order,
// deletes those whose token is gone, and says how many it read, the last
// one, and how many it deleted. It is one short transaction of its own.
type LegacyStep func(ctx context.Context, after string) (read int, last string, deleted int, err error)

// Run takes up to LegacyBatches steps from where the walk stands and
// returns how many hashes they deleted.
func (p *LegacyPrune) Run(ctx context.Context, step LegacyStep) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := 0
	for range LegacyBatches {
		read, last, deleted, err := step(ctx, p.after)
		total += deleted
		if err != nil {
			return total, err
		}
		if read < LegacyBatch { // the end of the table: start over next time
			p.after = ""
			break
		}
		p.after = last
	}
	return total, nil
}
