package postgres

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Refresh lookups are batched as rotations are (batch.go): a reader
// goroutine takes every lookup queued while its previous batch ran and
// reads them all with one statement, one round trip. A lookup is a read,
// so a batch needs no transaction of its own; it starts after each of its
// lookups was asked, so each sees every commit made before it was asked:
// a revocation is seen at once.

// lookupSQL reads refresh tokens and their grants by hash: two primary-key
// probes a token (TestHotPathPlans).
const lookupSQL = `SELECT ` + tokenCols + `, ` + grantCols + `
	FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.hash = ANY($1)`

// maxLookups bounds one batch's statement.
const maxLookups = 128

// readers is how many lookup batches a node may have in flight at once.
const readers = 2

// lookup is one RefreshToken call waiting for a reader.
type lookup struct {
	deadline      time.Time
	grantID, hash string
	token         store.RefreshToken
	grant         store.Grant
	done          chan error // buffered: a reader never waits on a caller
}

// RefreshToken implements store.Store: the token and its grant in one read,
// so a revocation committed before it is seen.
func (db *DB) RefreshToken(ctx context.Context, grantID, hash string) (store.RefreshToken, store.Grant, error) {
	l := &lookup{deadline: db.deadline(ctx), grantID: grantID, hash: hash, done: make(chan error, 1)}
	if err := submit(ctx, db, "refresh token", db.lookups, l, l.done); err != nil {
		return store.RefreshToken{}, store.Grant{}, err
	}
	return l.token, l.grant, nil
}

// lookupBatch reads every lookup of batch and answers each caller.
func (db *DB) lookupBatch(batch []*lookup) {
	ctx, cancel := earliest(batch, func(l *lookup) time.Time { return l.deadline })
	defer cancel()
	hashes := make([]string, len(batch))
	for i, l := range batch {
		hashes[i] = l.hash
	}
	err := db.run(ctx, "refresh token", 0, func(ctx context.Context) error {
		// Each try answers from its own rows only: a token an earlier,
		// failed try read may be gone by now.
		for _, l := range batch {
			l.token, l.grant = store.RefreshToken{}, store.Grant{}
		}
		rows, err := db.pool.Query(ctx, lookupSQL, hashes)
		if err != nil {
			return err
		}
		defer rows.Close()
		var t store.RefreshToken // every field scanned anew for each row
		var g store.Grant
		dest := append(tokenDest(&t), grantDest(&g)...)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			for _, l := range batch {
				if l.hash == t.Hash {
					l.token, l.grant = t, g
				}
			}
		}
		return rows.Err()
	})
	for _, l := range batch {
		switch {
		case err != nil:
			l.done <- err
		// The unique index on hash finds the row; a named lookup must
		// also be in the grant the token names (store contract).
		case l.token.Hash == "", l.grantID != "" && l.grant.ID != l.grantID:
			l.done <- db.fail(ctx, "refresh token", store.ErrNotFound)
		default:
			l.done <- nil
		}
	}
}
