package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// TestGrantListingPlan: a page of one client's grants (and of a subject's,
// and of a session's) is an index scan of that column's (column, id)
// index from the cursor on, with one probe of refresh_tokens' primary key
// per grant (its two rows) for its newest token: never a scan of every grant, which with a
// million grants would read them all for one page. 20,000 grants over
// 40 clients stand in for the million, with statistics taken.
func TestGrantListingPlan(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tgl", nil), postgres.Options{})
	t.Cleanup(func() { db.Close() })
	now := time.Now()
	prefillListing(t, db, now, 20_000, 500, 2000)
	conn := analyzedConn(t, db)
	for _, tc := range []struct {
		f     store.GrantFilter
		index string
	}{
		{store.GrantFilter{ClientID: "c7"}, "grants_client_id"},
		{store.GrantFilter{Subject: "s7"}, "grants_subject"},
		{store.GrantFilter{SessionID: "sid7"}, "grants_session_id"},
	} {
		for _, live := range []bool{false, true} {
			sql, args := postgres.ListGrantsQuery(store.GrantQuery{GrantFilter: tc.f, Live: live, Now: now, Limit: 100}, "g000001000")
			var out []byte
			if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) `+sql, args...).Scan(&out); err != nil {
				t.Fatalf("EXPLAIN: %v", err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("EXPLAIN: %v (%s)", err, out)
			}
			scans, indexes := plans[0].Plan.scans()
			for _, sc := range scans {
				if strings.HasPrefix(sc, "Seq Scan") {
					t.Errorf("%+v live=%v: %s: a page must not read the whole table\n%s", tc.f, live, sc, out)
				}
			}
			for _, idx := range []string{tc.index, "refresh_tokens_pkey"} {
				if !indexes[idx] {
					t.Errorf("%+v live=%v: index %s unused (scans %q)\n%s", tc.f, live, idx, scans, out)
				}
			}
		}
	}
}

// scans lists each node of the plan that reads a table or an index, and
// the set of indexes read. A selective filter may be a bitmap heap scan
// over a bitmap index scan of the column's index: that reads the matching
// rows only, as an index scan does.
func (n planNode) scans() ([]string, map[string]bool) {
	var out []string
	idx := map[string]bool{}
	var walk func(planNode)
	walk = func(n planNode) {
		if n.Relation != "" || n.Index != "" {
			out = append(out, n.NodeType+" "+n.Relation+" "+n.Index)
		}
		if n.Index != "" {
			idx[n.Index] = true
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(n)
	return out, idx
}

// prefillListing writes n live grants, one token each, over 40 clients,
// the given numbers of subjects and sessions, in an id order unlike the
// insertion order (ids g000000000 on).
func prefillListing(t *testing.T, db *postgres.DB, now time.Time, n, subjects, sessions int) {
	t.Helper()
	err := db.Prefill(context.Background(), n, func(i int) (store.Grant, store.RefreshToken, error) {
		id := fmt.Sprintf("g%09d", (i*7919)%n)
		g := store.Grant{ID: id, ClientID: fmt.Sprintf("c%d", i%40), Subject: fmt.Sprintf("s%d", i%subjects),
			SessionID: fmt.Sprintf("sid%d", i%sessions), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		return g, store.RefreshToken{Hash: id + "-rt0", GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
			RemoteAddr: "192.0.2.1", UserAgent: "scale/1"}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// analyzedConn is a connection of db's pool, released at the test's end,
// after statistics are taken of the grant tables, as autovacuum would
// after a bulk load.
func analyzedConn(t *testing.T, db *postgres.DB) *pgxpool.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	for _, q := range []string{`ANALYZE grants`, `ANALYZE refresh_tokens`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}
