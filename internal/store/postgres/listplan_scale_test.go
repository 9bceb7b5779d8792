package postgres_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// TestGrantListingAtScale measures what TestGrantListingPlan shows on a
// small table, at the size the issue names: TOLLGATE_LISTING_GRANTS grants
// (say 1000000) over 40 clients, 20,000 subjects and 100,000 sessions. It
// logs the plan with its run time (EXPLAIN ANALYZE) of a page of 50 from
// the middle of one client's 25,000 grants, of a subject's and of a
// session's, and the median of 21 ListGrants calls of each, and fails on
// a sequential scan. docs/benchmarks.md records a run:
//
//	eval "$(scripts/test-postgres.sh start)"
//	TOLLGATE_LISTING_GRANTS=1000000 go test -run TestGrantListingAtScale -v -timeout 30m ./internal/store/postgres/
func TestGrantListingAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TOLLGATE_LISTING_GRANTS"))
	if n <= 0 {
		t.Skip("set TOLLGATE_LISTING_GRANTS (e.g. 1000000) to measure listings at that size")
	}
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tgs", nil), postgres.Options{})
	t.Cleanup(func() { db.Close() })
	now := time.Now()
	start := time.Now()
	prefillListing(t, db, now, n, 20_000, 100_000)
	t.Logf("prefilled %d grants in %s", n, time.Since(start).Round(time.Second))
	conn := analyzedConn(t, db)
	mid := fmt.Sprintf("g%09d", n/2)
	for _, f := range []store.GrantFilter{{ClientID: "c7"}, {Subject: "s7"}, {SessionID: "sid7"}} {
		q := store.GrantQuery{GrantFilter: f, Live: true, Now: now, Limit: 50}
		sql, args := postgres.ListGrantsQuery(q, mid)
		rows, err := conn.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if strings.Contains(text, "Seq Scan") {
			t.Errorf("%+v: a sequential scan at %d grants:\n%s", f, n, text)
		}
		q.After = store.GrantCursor(mid)
		var took []time.Duration
		for range 21 {
			t0 := time.Now()
			if _, _, err := db.ListGrants(ctx, q); err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		t.Logf("%+v, a page of 50 from the middle: ListGrants median %s (of 21)\n%s", f, took[10].Round(10*time.Microsecond), text)
	}
}
