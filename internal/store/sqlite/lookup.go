package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The refresh lookup (RefreshToken) runs on the writer's connection, in the
// rotator's goroutine (rotate.go), not on the read pool. In WAL mode a read
// transaction that finds the log changed since its connection's last one
// throws that connection's whole page cache away; under load the writer
// commits every few hundred microseconds, so on a reader every lookup
// re-read every b-tree page it touched with pread (on a million grants,
// pread was a quarter of the CPU). The writer's own commits do not empty
// its cache, so there the upper b-tree pages stay, and the leaf pages a
// lookup reads are the very ones the rotation of that token writes next.
//
// Freshness holds as on a reader: the rotator gathers a batch first and
// then starts its transaction, so every lookup sees every commit, of this
// process or another (`tollgate revoke`), that finished before it was
// asked for; a commit by another process empties the writer's cache as it
// would a reader's. Lookups are answered before the batch's rotations run,
// from what was committed when the transaction began, never from the
// batch's own uncommitted writes. Nothing is cached across transactions.

// maxLookups bounds the lookups one transaction answers.
const maxLookups = 256

// lookup is one RefreshToken call waiting for the rotator.
type lookup struct {
	ctx     context.Context
	grantID string // "" for a token that names no grant
	hash    string
	t       store.RefreshToken
	g       store.Grant
	err     error
	done    chan struct{} // closed once t, g and err are set
}

// RefreshToken implements store.Store.
func (db *DB) RefreshToken(ctx context.Context, grantID, hash string) (store.RefreshToken, store.Grant, error) {
	if err := ctx.Err(); err != nil {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", err)
	}
	l := &lookup{ctx: ctx, grantID: grantID, hash: hash, done: make(chan struct{})}
	if err := store.HandOff(ctx, db.closing, db.lookups, l); err != nil {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", err)
	}
	// A lookup writes nothing, so a caller whose context ends may leave
	// without its answer; the rotator never waits on it.
	select {
	case <-l.done:
	case <-ctx.Done():
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", ctx.Err())
	}
	if l.err != nil {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", l.err)
	}
	l.t.Hash, l.t.GrantID = hash, l.g.ID
	return l.t, l.g, nil
}

// answer looks up every token of batch and tells each caller, with the
// lookup statements (sqlite.go) bound to tx, or unbound when tx is nil: by
// grant and hash, and by hash alone for a token that names no grant, bound
// only if the batch has one (rare: tokens issued before named tokens). The
// statements run under no caller's context; each caller's is checked
// before its lookup.
func (db *DB) answer(tx *sql.Tx, batch []*lookup) {
	ctx := context.Background()
	bind := func(s *sql.Stmt) *sql.Stmt {
		if tx == nil {
			return s
		}
		return tx.StmtContext(ctx, s)
	}
	named := bind(db.findToken)
	var legacy *sql.Stmt
	for _, l := range batch {
		if l.err = l.ctx.Err(); l.err == nil {
			var row *sql.Row
			if l.grantID != "" {
				row = named.QueryRowContext(ctx, l.grantID, l.hash)
			} else {
				if legacy == nil {
					legacy = bind(db.findLegacyToken)
				}
				row = legacy.QueryRowContext(ctx, l.hash)
			}
			l.err = row.Scan(append(tokenDest(&l.t), grantDest(&l.g)...)...)
			if errors.Is(l.err, sql.ErrNoRows) {
				l.err = store.ErrNotFound
			}
		}
		close(l.done)
	}
}

// readBatch answers lookups when no rotation is waiting: one alone as a
// statement of its own, more in one read transaction. If BEGIN fails each
// runs on its own, as it would unbatched.
func (db *DB) readBatch(batch []*lookup) {
	ctx := context.Background()
	if len(batch) == 1 {
		db.answer(nil, batch)
		return
	}
	tx, err := db.w.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // BEGIN DEFERRED: takes no write lock
	if err != nil {
		db.answer(nil, batch)
		return
	}
	db.answer(tx, batch)
	tx.Rollback() // it wrote nothing
}
