package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Refresh-token rotation is the hot path, and on SQLite its cost is the
// commit more than the SQL: a commit takes and drops file locks and writes
// every dirty page to the WAL, about a dozen system calls. So rotations do
// not each get their own transaction (group commit). One goroutine, the
// rotator, takes every rotation queued while the previous commit ran and
// applies them one after another in a single transaction. In sequence they
// keep every property of one-at-a-time rotation (of two rotations of one
// token the second sees the first's consume and gets ErrConflict), and no
// caller hears "ok" before the commit.

// maxBatch bounds one transaction, so a burst cannot hold the writer long.
const maxBatch = 256

// rotation is one RotateRefreshToken call waiting for the rotator.
type rotation struct {
	ctx        context.Context
	oldHash    string
	consumedAt time.Time
	next       store.RefreshToken
	done       chan error // buffered: the rotator never waits on a caller
}

// RotateRefreshToken implements store.Store.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	if consumedAt.IsZero() {
		return fmt.Errorf("sqlite: rotate: consumedAt: %w", errZeroTime)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: rotate: %w", err)
	}
	r := &rotation{ctx: ctx, oldHash: oldHash, consumedAt: consumedAt, next: next, done: make(chan error, 1)}
	if err := store.HandOff(ctx, db.closing, db.rotations, r); err != nil {
		return fmt.Errorf("sqlite: rotate: %w", err)
	}
	// Once handed over, wait for the outcome even if ctx ends: the batch is
	// short, and "cancelled" about a rotation that then commits would send
	// the client back with a token that is already consumed.
	return <-r.done
}

// rotator runs until Close, one batch at a time. It also answers the
// refresh lookups (lookup.go) and records jtis (jti.go): a batch is every
// rotation, lookup and jti queued while the previous one ran.
func (db *DB) rotator() {
	defer close(db.rotatorDone)
	batch := make([]*rotation, 0, maxBatch)
	looks := make([]*lookup, 0, maxLookups)
	uses := make([]*jtiUse, 0, maxBatch)
	for {
		batch, looks, uses = batch[:0], looks[:0], uses[:0]
		select {
		case <-db.closing:
			return
		case r := <-db.rotations:
			batch = append(batch, r)
		case l := <-db.lookups:
			looks = append(looks, l)
		case u := <-db.jtis:
			uses = append(uses, u)
		}
	drain:
		for len(batch) < maxBatch && len(looks) < maxLookups && len(uses) < maxBatch {
			select {
			case r := <-db.rotations:
				batch = append(batch, r)
			case l := <-db.lookups:
				looks = append(looks, l)
			case u := <-db.jtis:
				uses = append(uses, u)
			default:
				break drain
			}
		}
		db.batched.Add(store.BatchRotate, len(batch))
		db.batched.Add(store.BatchLookup, len(looks))
		db.batched.Add(store.BatchUseJTI, len(uses))
		if len(batch) == 0 && len(uses) == 0 {
			db.readBatch(looks)
		} else {
			db.commitBatch(looks, batch, uses)
		}
		clear(batch) // drop references to answered callers
		clear(looks)
		clear(uses)
	}
}

// commitBatch answers the lookups, then applies the batch of rotations and
// records the batch's jtis (jti.go), in one transaction, and answers every
// caller. The lookups come first, so
// they read what was committed when the transaction began.
// A rotation that loses (ErrNotFound, ErrConflict, another grant) writes
// nothing and leaves the others be; any other error aborts the whole batch
// and every caller in it gets that error, since none of it was written.
func (db *DB) commitBatch(looks []*lookup, batch []*rotation, uses []*jtiUse) {
	// The transaction serves many callers, so it runs under none of their
	// contexts; each caller's context is checked before its rotation.
	ctx := context.Background()
	errs := make([]error, len(batch))
	var useErrs []error
	if len(uses) > 0 {
		useErrs = make([]error, len(uses))
	}
	err := db.write(ctx, "rotate", func(tx *sql.Tx) error {
		if len(looks) > 0 {
			db.answer(tx, looks)
			looks = nil
		}
		if len(uses) > 0 {
			if err := useJTIs(ctx, tx.StmtContext(ctx, db.useJTI), uses, useErrs); err != nil {
				return err
			}
		}
		if len(batch) == 0 {
			return nil // ids only: no rotation statement to bind
		}
		st := txStmts{tx.StmtContext(ctx, db.insertSuccessor), tx.StmtContext(ctx, db.consume),
			tx.StmtContext(ctx, db.dropPredecessor), tx.StmtContext(ctx, db.tokenState)}
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			err := st.rotate(ctx, r)
			if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
				return err
			}
			errs[i] = err
		}
		return nil
	})
	answerJTIs(uses, useErrs, err)
	if looks != nil { // BEGIN failed: each on its own, as unbatched
		db.answer(nil, looks)
	}
	for i, r := range batch {
		switch {
		case err != nil:
			r.done <- err
		case errs[i] != nil:
			r.done <- fmt.Errorf("sqlite: rotate: %w", errs[i])
		default:
			r.done <- nil
		}
	}
}

// txStmts are the rotation statements bound to the batch's transaction.
type txStmts struct{ insert, consume, drop, state *sql.Stmt }

// rotate is one rotation inside the batch: insert the successor if the old
// token may be rotated (the conditional INSERT of db.insertSuccessor), then
// consume the old token and delete the token it replaced. The INSERT goes
// first so that a rotation that loses, even on a taken successor hash, has
// written nothing and needs no undoing. When the INSERT matches the UPDATE
// must too; if it does not, something is badly wrong, and the error aborts
// the batch rather than commit a successor whose predecessor is still
// usable.
func (st txStmts) rotate(ctx context.Context, r *rotation) error {
	n, err := affected(st.insert.ExecContext(ctx, append(tokenArgs(r.next), r.next.GrantID, r.oldHash)...))
	if err != nil {
		return err
	}
	if n == 1 {
		n, err := affected(st.consume.ExecContext(ctx, micros(r.consumedAt), r.next.Hash, r.next.GrantID, r.oldHash))
		if err == nil && n != 1 {
			err = fmt.Errorf("successor inserted but %d tokens consumed", n)
		}
		if err != nil {
			return err
		}
		_, err = st.drop.ExecContext(ctx, r.next.GrantID, r.next.GrantID, r.oldHash)
		return err
	}
	// Nothing was written; say why, about the presented token first.
	if err := whyNot(ctx, st.state, r.next.GrantID, r.oldHash); err != nil {
		return err
	}
	return store.ErrConflict // the old token is live, so the grant holds the successor's hash
}
