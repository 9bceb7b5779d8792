package postgres

import (
	"cmp"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The writer. Rotations (rotator.go) and jti uses (jti.go) are the hot
// path's durable writes, and both go to one writer goroutine on one
// channel (db.writes, batches): it takes every rotation and every jti use
// queued while its previous batch ran and commits them as one transaction
// (writeBatch, commitBatch), as the SQLite store's rotator does. A
// DPoP-bound refresh makes both kinds (its proof's jti, then its
// rotation), and so does every token request of a private_key_jwt client;
// in one writer the jti uses of the requests just arrived share a commit
// with the rotations of those further along, instead of each kind paying
// for its own. Each call is still its own statement, and no caller hears
// "ok" before the commit.
//
// Against one rotator beside two jti writers (durable cluster, 10k
// DPoP-bound grants, C=32, docs/performance.md): PostgreSQL's CPU per
// refresh about a quarter lower.

// writers is how many write batches a node may have in flight at once,
// each on a connection of the hot pool. One: the batch that fills while
// it waits for its flush goes next, and larger batches cost PostgreSQL
// fewer statements and commits per call. Against two rotators (durable
// cluster, 10k grants, C=32, eight pairs alternated in both orders,
// medians): PostgreSQL's CPU per refresh 194 against 266 µs, 3,238
// against 2,898 refreshes/s, p99 18.2 against 21.8 ms
// (docs/performance.md).
const writers = 1

// A write's place in a batch's lock order (lockOrder).
const (
	lockJTI      = iota // a used_jtis row
	lockRotation        // a grant's refresh_tokens rows
)

// writeBatch counts batch by kind, orders it, and commits it.
//
// One lock order for every batch: the jti rows first, by client and id,
// then the rotations' rows, by grant and token. Two batches that write the
// same rows (a client retrying on two nodes, a proof replayed to both)
// then take their locks in the same order, and wait for each other
// instead of deadlocking.
func (db *DB) writeBatch(batch []write) {
	var n [2]int
	for _, w := range batch {
		kind, _, _ := w.lockOrder()
		n[kind]++
	}
	db.batched.Add(store.BatchUseJTI, n[lockJTI])
	db.batched.Add(store.BatchRotate, n[lockRotation])
	slices.SortFunc(batch, func(a, b write) int {
		ka, a1, a2 := a.lockOrder()
		kb, b1, b2 := b.lockOrder()
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(a1, b1), cmp.Compare(a2, b2))
	})
	commitBatch(db, "write", batch)
}
