package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Pool is db's connection pool, for tests that look under the store.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// HotPool is the pool of the hot path's batches.
func (db *DB) HotPool() *pgxpool.Pool { return db.hot }

// TokenRows counts the refresh-token rows of a grant, consumed ones included.
func (db *DB) TokenRows(ctx context.Context, grantID string) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE grant_id = $1`, grantID).Scan(&n)
	return n, err
}

// KnownVersions is how many migrations this build carries.
func KnownVersions() int {
	ms, _ := migrations()
	return len(ms)
}

// Writers is how many write batches (rotations and jti uses) a node runs
// at once.
const Writers = writers

// The refresh hot path's statements, for the plan tests.
var (
	RotateSQL = rotateSQL
	LookupSQL = lookupSQL
	UseJTISQL = useJTISQL
)

// HourOf and ExpiresHour are expires_hour in SQL and in Go.
var (
	HourOf      = hourOf
	ExpiresHour = expiresHour
)

// ListGrantsQuery is the statement and arguments of a grant listing, for
// the plan test.
func ListGrantsQuery(q store.GrantQuery, after string) (string, []any) {
	return listGrantsQuery(q, after)
}

// Rotation is one rotation for RotateBatch.
type Rotation struct {
	OldHash    string
	ConsumedAt time.Time
	Next       store.RefreshToken
}

// RotateBatch commits rots as the writer commits one batch, handed over
// in the order given, and returns each one's outcome.
func (db *DB) RotateBatch(rots ...Rotation) []error {
	ws := make([]any, len(rots))
	for i, r := range rots {
		ws[i] = r
	}
	return db.WriteBatch(ws...)
}

// WriteBatch commits ws, each a Rotation or a JTIUse, as the writer
// commits one batch (writeBatch), handed over in the order given, and
// returns each one's outcome.
func (db *DB) WriteBatch(ws ...any) []error {
	batch := make([]write, len(ws))
	done := make([]chan error, len(ws))
	for i, w := range ws {
		done[i] = make(chan error, 1)
		deadline := time.Now().Add(db.timeout)
		switch w := w.(type) {
		case Rotation:
			batch[i] = &rotation{deadline: deadline, oldHash: w.OldHash, consumedAt: w.ConsumedAt, next: w.Next, done: done[i]}
		case JTIUse:
			batch[i] = &jtiUse{deadline: deadline, clientID: w.ClientID, jti: w.JTI, expiresAt: w.ExpiresAt, now: w.Now, done: done[i]}
		default:
			panic(fmt.Sprintf("WriteBatch: %T is neither a Rotation nor a JTIUse", w))
		}
	}
	db.writeBatch(slices.Clone(batch)) // it reorders its slice; the answers keep ws' order
	errs := make([]error, len(ws))
	for i := range done {
		errs[i] = <-done[i]
	}
	return errs
}

// Lookup is one lookup for LookupBatch, and its outcome.
type Lookup struct {
	GrantID, Hash string
	Token         store.RefreshToken
	Grant         store.Grant
	Err           error
}

// LookupBatch reads ls as a reader reads one batch (lookupBatch).
func (db *DB) LookupBatch(ls ...Lookup) []Lookup {
	batch := lookups(db, ls)
	db.lookupBatch(batch)
	return outcomes(batch)
}

// LookupTriedTwice reads ls as one batch that db.run tries twice, with
// between run after the first try, and returns what the batch answers:
// what a retry after a failed try gives its callers.
func (db *DB) LookupTriedTwice(between func(), ls ...Lookup) []Lookup {
	batch := lookups(db, ls)
	ctx := context.Background()
	err := db.tryLookups(ctx, batch)
	if err == nil {
		between()
		err = db.tryLookups(ctx, batch)
	}
	db.answerLookups(ctx, batch, err)
	return outcomes(batch)
}

// lookups are ls as a reader's batch, each with db's statement timeout.
func lookups(db *DB, ls []Lookup) []*lookup {
	batch := make([]*lookup, len(ls))
	for i, l := range ls {
		batch[i] = &lookup{deadline: time.Now().Add(db.timeout), grantID: l.GrantID, hash: l.Hash, done: make(chan error, 1)}
	}
	return batch
}

// outcomes is each lookup's answer, in batch's order.
func outcomes(batch []*lookup) []Lookup {
	out := make([]Lookup, len(batch))
	for i, l := range batch {
		out[i] = Lookup{GrantID: l.grantID, Hash: l.hash, Err: <-l.done}
		if out[i].Err == nil {
			out[i].Token, out[i].Grant = l.token, l.grant
		}
	}
	return out
}

// JTIUse is one use for JTIBatch.
type JTIUse struct {
	ClientID, JTI  string
	ExpiresAt, Now time.Time
}

// JTIBatch commits uses as the writer commits one batch, handed over in
// the order given, and returns each one's outcome.
func (db *DB) JTIBatch(uses ...JTIUse) []error {
	ws := make([]any, len(uses))
	for i, u := range uses {
		ws[i] = u
	}
	return db.WriteBatch(ws...)
}

// MigrateTo applies the migrations up to version v only.
func (db *DB) MigrateTo(ctx context.Context, v int) error { return db.migrate(ctx, v) }
