package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

func TestPrefillWritesWhatCreateGrantWould(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg_prefill", nil), postgres.Options{})
	storetest.RunPrefill(t, db)
	if size, err := db.GrantBytes(context.Background()); err != nil || size <= 0 {
		t.Errorf("GrantBytes: %d, %v", size, err)
	}
}

// Prefill lifts the statement timeout for its own transactions: with a
// timeout of 100 ms, which a COPY of 50,000 rows outlasts many times over
// but a ping meets, it still writes every row.
func TestPrefillOutlastsTheStatementTimeout(t *testing.T) {
	dsn := pgtest.Schema(t, "tg_prefill_slow", nil)
	slow := open(t, dsn, postgres.Options{StatementTimeout: 100 * time.Millisecond})
	const n = 60_000 // two transactions
	now := time.Now()
	row := store.PrefillRow(func(i int) (store.Grant, store.RefreshToken, error) {
		id := fmt.Sprintf("g%06d", i)
		return store.Grant{ID: id, ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			store.RefreshToken{Hash: "h" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil
	})
	if err := slow.Prefill(context.Background(), n, row, nil); err != nil {
		t.Fatalf("Prefill under a 100 ms statement timeout: %v", err)
	}
	db := open(t, dsn, postgres.Options{})
	ids := []string{"g000000", fmt.Sprintf("g%06d", prefillPerTxForTest), fmt.Sprintf("g%06d", n-1)}
	live, err := db.LiveTokens(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if live[id] != 1 {
			t.Errorf("grant %s: %d live tokens, want 1", id, live[id])
		}
	}
}

// prefillPerTxForTest is a row of the second transaction.
const prefillPerTxForTest = 50_000
