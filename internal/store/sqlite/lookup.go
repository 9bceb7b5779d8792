package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The refresh lookup (RefreshToken) is the read half of the hot path. In WAL
// mode a read transaction that starts after the writer committed begins
// with an empty page cache: the connection throws every page away (and
// the allocator hands their memory back to the kernel), then reads the
// b-tree pages again with pread and takes the shared-memory read lock with
// fcntl. Under load the writer commits every few hundred microseconds, so
// a lookup in its own transaction pays all of that alone. So lookups are
// batched, as rotations are (rotate.go): a few batch readers, each holding
// one read connection, take every lookup queued while they were busy and
// answer them all in one read transaction, so one cache reset, one read
// lock and one pass over the upper b-tree pages serve the whole batch.
//
// Freshness holds as for a lookup of its own: a batch is gathered first
// and its transaction starts after (SQLite takes a read transaction's
// snapshot at its first read), so every lookup in it sees every commit,
// of this process or another (`tollgate revoke`), that finished before
// the lookup was asked for. Nothing is cached across transactions.

// maxLookups bounds one read transaction, so a burst cannot keep one
// reader's snapshot (which a checkpoint cannot pass) open long.
const maxLookups = 64

// lookup is one RefreshToken call waiting for a batch reader.
type lookup struct {
	ctx  context.Context
	hash string
	t    store.RefreshToken
	g    store.Grant
	err  error
	done chan struct{} // closed by the batch reader once t, g, err are set
}

// batchReader is one read connection, held for the store's life, with the
// lookup and its transaction bounds prepared on it.
type batchReader struct {
	conn                  *sql.Conn
	begin, find, rollback *sql.Stmt
}

// findTokenSQL reads a token and its grant by the token's hash.
const findTokenSQL = `SELECT ` + tokenCols + `, ` + grantCols + `
	FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.hash = ?`

// newBatchReader takes a connection from the read pool for good.
func newBatchReader(ctx context.Context, pool *sql.DB) (*batchReader, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return nil, err
	}
	br := &batchReader{conn: conn}
	for _, p := range []struct {
		dst  **sql.Stmt
		text string
	}{{&br.begin, `BEGIN`}, {&br.find, findTokenSQL}, {&br.rollback, `ROLLBACK`}} {
		if *p.dst, err = conn.PrepareContext(ctx, p.text); err != nil {
			br.close()
			return nil, err
		}
	}
	return br, nil
}

func (br *batchReader) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{br.begin, br.find, br.rollback} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(append(errs, br.conn.Close())...)
}

// RefreshToken implements store.Store.
func (db *DB) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, store.Grant, error) {
	if err := ctx.Err(); err != nil {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", err)
	}
	l := &lookup{ctx: ctx, hash: hash, done: make(chan struct{})}
	select {
	case db.lookups <- l:
	case <-ctx.Done():
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", ctx.Err())
	case <-db.closing:
		return store.RefreshToken{}, store.Grant{}, errors.New("sqlite: refresh token: store closed")
	}
	// A lookup writes nothing, so a caller whose context ends may leave
	// without its answer; the batch reader never waits on it.
	select {
	case <-l.done:
	case <-ctx.Done():
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", ctx.Err())
	}
	if l.err != nil {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", l.err)
	}
	return l.t, l.g, nil
}

// readBatches runs until Close, one batch at a time on br.
func (db *DB) readBatches(br *batchReader) {
	defer db.readersDone.Done()
	batch := make([]*lookup, 0, maxLookups)
	for {
		select {
		case <-db.closing:
			return
		case l := <-db.lookups:
			batch = append(batch[:0], l)
		}
	drain:
		for len(batch) < maxLookups {
			select {
			case l := <-db.lookups:
				batch = append(batch, l)
			default:
				break drain
			}
		}
		br.answer(batch)
		clear(batch) // drop references to answered callers
	}
}

// answer looks up every token of the batch in one read transaction. The
// statements run under no caller's context (the transaction serves many);
// each caller's is checked before its lookup. A lookup that fails leaves
// the others be; if BEGIN fails, each lookup runs in a transaction of its
// own, as it would unbatched.
func (br *batchReader) answer(batch []*lookup) {
	ctx := context.Background()
	_, beginErr := br.begin.ExecContext(ctx)
	for _, l := range batch {
		if l.err = l.ctx.Err(); l.err == nil {
			l.err = br.find.QueryRowContext(ctx, l.hash).Scan(append(tokenDest(&l.t), grantDest(&l.g)...)...)
			if errors.Is(l.err, sql.ErrNoRows) {
				l.err = store.ErrNotFound
			}
		}
	}
	if beginErr == nil {
		// Ends the read transaction, which wrote nothing. An error here
		// means SQLite ended it already (after an I/O error, say).
		br.rollback.ExecContext(ctx)
	}
	for _, l := range batch {
		close(l.done)
	}
}
