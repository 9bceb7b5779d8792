package main

import (
	"context"
	"fmt"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// checkStore counts, after a run, the live refresh tokens of every driven
// grant the tool neither revoked nor lost: the rotation rules leave exactly
// one, whatever retries and concurrency did. It returns how many grants
// have another count.
func checkStore(ctx context.Context, cfg *config.Config, chains []*chain) (bad, checked int, err error) {
	st, err := app.OpenExistingStore(ctx, cfg)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	lc, ok := st.(store.Prefiller)
	if !ok {
		return 0, 0, fmt.Errorf("-check-store: store %T cannot count live tokens", st)
	}
	var ids []string
	for _, c := range chains {
		if id := grantOf(c.token); id != "" && !c.revoked && !c.lost {
			ids = append(ids, id)
		}
	}
	live, err := lc.LiveTokens(ctx, ids)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		if live[id] != 1 {
			bad++
		}
	}
	return bad, len(ids), nil
}
