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

// lookupSQL reads refresh tokens and their grants by grant and hash, the
// pairs $1[i], $2[i]: for each, the grant by its primary key and its two
// rows by refresh_tokens' primary key's grant_id (TestHotPathPlans; put as
// grant_id = ANY($1), the planner chose a bitmap heap scan instead).
const lookupSQL = `SELECT ` + tokenCols + `, ` + grantCols + `
	FROM unnest($1::text[], $2::text[]) AS k(grant_id, hash)
	JOIN grants g ON g.id = k.grant_id JOIN refresh_tokens t ON t.grant_id = g.id AND t.hash = k.hash`

// legacyLookupSQL reads tokens in the format before named tokens, which
// say no grant, by hash (store.Store.RefreshToken): through
// legacy_refresh_hashes, which migration 0010 filled once.
const legacyLookupSQL = `SELECT ` + tokenCols + `, ` + grantCols + `
	FROM legacy_refresh_hashes l JOIN refresh_tokens t ON t.grant_id = l.grant_id AND t.hash = l.hash
	JOIN grants g ON g.id = t.grant_id WHERE l.hash = ANY($1)`

// maxLookups bounds one batch's statement.
const maxLookups = 128

// readers is how many lookup batches a node may have in flight at once.
// One: a lookup batch is one short read that never waits on a row lock,
// and with one reader the batches are twice as large, so PostgreSQL runs
// half as many statements (durable cluster, 10k grants, C=32, seven
// alternated pairs: its CPU per refresh 277 against 372 µs, 2,667 against
// 2,338 refreshes/s, p99 24.6 against 30.5 ms, medians, against two).
const readers = 1

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
	db.batched.Add(store.BatchLookup, len(batch))
	ctx, cancel := earliest(batch, func(l *lookup) time.Time { return l.deadline })
	defer cancel()
	err := db.run(ctx, "refresh token", 0, func(ctx context.Context) error { return db.tryLookups(ctx, batch) })
	db.answerLookups(ctx, batch, err)
}

// tryLookups is one try of a lookup batch (db.run may make several).
func (db *DB) tryLookups(ctx context.Context, batch []*lookup) error {
	grants, hashes := make([]string, 0, len(batch)), make([]string, 0, len(batch))
	var legacy []string // tokens that name no grant: hardly ever any
	for _, l := range batch {
		// Each try answers from its own rows only: a token an earlier,
		// failed try read may be gone by now.
		l.token, l.grant = store.RefreshToken{}, store.Grant{}
		if l.grantID == "" {
			legacy = append(legacy, l.hash)
		} else {
			grants, hashes = append(grants, l.grantID), append(hashes, l.hash)
		}
	}
	if len(hashes) > 0 {
		if err := db.readLookups(ctx, batch, false, grants, hashes); err != nil {
			return err
		}
	}
	if len(legacy) > 0 {
		return db.readLookups(ctx, batch, true, legacy)
	}
	return nil
}

// answerLookups tells each caller of batch its outcome: err, which ended
// the batch's tries, or the token its last try found, or ErrNotFound.
func (db *DB) answerLookups(ctx context.Context, batch []*lookup, err error) {
	for _, l := range batch {
		switch {
		case err != nil:
			l.done <- err
		case l.token.Hash == "":
			l.done <- db.fail(ctx, "refresh token", store.ErrNotFound)
		default:
			l.done <- nil
		}
	}
}

// readLookups runs lookupSQL (legacyLookupSQL if legacy) and answers,
// from its rows, each lookup of batch with that grant and hash; a lookup
// of a token that names no grant (grantID "") only from legacyLookupSQL's.
func (db *DB) readLookups(ctx context.Context, batch []*lookup, legacy bool, args ...any) error {
	q, pool := lookupSQL, db.hot
	if legacy { // hardly ever: PostgreSQL plans it as it sees fit
		q, pool = legacyLookupSQL, db.pool
	}
	rows, err := pool.Query(ctx, q, args...)
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
			if l.hash == t.Hash && (l.grantID == t.GrantID || legacy && l.grantID == "") {
				l.token, l.grant = t, g
			}
		}
	}
	return rows.Err()
}
