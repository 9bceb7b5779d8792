package postgres

import (
	"context"
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

// Rotators is how many rotation batches a node runs at once.
const Rotators = rotators

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

// RotateBatch commits rots as a rotator commits one batch (rotateBatch),
// handed over in the order given, and returns each one's outcome.
func (db *DB) RotateBatch(rots ...Rotation) []error {
	batch := make([]*rotation, len(rots))
	for i, r := range rots {
		batch[i] = &rotation{deadline: time.Now().Add(db.timeout), oldHash: r.OldHash, consumedAt: r.ConsumedAt,
			next: r.Next, done: make(chan error, 1)}
	}
	db.rotateBatch(slices.Clone(batch)) // it reorders its slice; the answers keep rots' order
	errs := make([]error, len(batch))
	for i, r := range batch {
		errs[i] = <-r.done
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
	batch := make([]*lookup, len(ls))
	for i, l := range ls {
		batch[i] = &lookup{deadline: time.Now().Add(db.timeout), grantID: l.GrantID, hash: l.Hash, done: make(chan error, 1)}
	}
	db.lookupBatch(batch)
	out := make([]Lookup, len(ls))
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

// JTIBatch commits uses as a jti writer commits one batch (jtiBatch),
// handed over in the order given, and returns each one's outcome.
func (db *DB) JTIBatch(uses ...JTIUse) []error {
	batch := make([]*jtiUse, len(uses))
	for i, u := range uses {
		batch[i] = &jtiUse{deadline: time.Now().Add(db.timeout), clientID: u.ClientID, jti: u.JTI,
			expiresAt: u.ExpiresAt, now: u.Now, done: make(chan error, 1)}
	}
	db.jtiBatch(slices.Clone(batch))
	errs := make([]error, len(batch))
	for i, u := range batch {
		errs[i] = <-u.done
	}
	return errs
}

// MigrateTo applies the migrations up to version v only.
func (db *DB) MigrateTo(ctx context.Context, v int) error { return db.migrate(ctx, v) }
