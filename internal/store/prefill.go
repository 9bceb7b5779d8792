package store

import (
	"context"
	"fmt"
)

// PrefillRow makes the i-th grant and its first refresh token, for
// Prefiller.Prefill.
type PrefillRow func(i int) (Grant, RefreshToken, error)

// Make returns row(i), refusing a first token made for another grant than
// the one it comes with.
func (row PrefillRow) Make(i int) (Grant, RefreshToken, error) {
	g, t, err := row(i)
	if err == nil && t.GrantID != g.ID {
		err = fmt.Errorf("row %d: first token's grant %q is not %q", i, t.GrantID, g.ID)
	}
	return g, t, err
}

// Prefiller is what the load tool (cmd/tollgate-bench) needs of a store
// beyond Store: not part of the contract the server uses. The SQLite and
// PostgreSQL backends implement it; storetest.RunPrefill holds both to it.
type Prefiller interface {
	Store
	// Prefill writes n grants, each with its first refresh token, as row(i)
	// makes them, in a few large transactions: what CreateGrant does n
	// times. progress (may be nil) hears the count after each commit. A
	// duplicate id or hash fails the transaction it is in (ErrConflict);
	// the transactions committed before stay.
	Prefill(ctx context.Context, n int, row PrefillRow, progress func(done int)) error
	// LiveTokens counts, for each of ids, the unconsumed refresh tokens of
	// the grant if it is not revoked. A grant that is revoked, missing or
	// has no unconsumed token is absent from the map. The rotation rules
	// allow exactly one per live grant.
	LiveTokens(ctx context.Context, ids []string) (map[string]int, error)
}
