package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// probeKeys are the indexes the refresh hot path may read, each with the
// columns an equality probe must bind, so a probe finds one grant's
// entries however long since the last vacuum: the whole key, or for
// refresh_tokens its grant, whose two rows are rewritten by HOT updates
// (migration 0010), which add no index entry.
var probeKeys = map[string][]string{
	"refresh_tokens_pkey": {"grant_id"},
	"grants_pkey":         {"id"},
}

// TestHotPathPlans: every table read of the refresh hot path (the lookup,
// and the rotation with its predecessor's deletion) is an index scan that
// binds the whole key of its index, in the plan PostgreSQL makes for the
// first executions of a prepared statement (custom) and in the one it
// caches after (generic). A scan by a key prefix, such as the grant's
// tokens by grant_id alone, walks one dead index entry per rotation since
// the last vacuum: BenchmarkRotate saw the predecessor's deletion visit 35
// heap pages per rotation that way, as a bitmap heap scan.
func TestHotPathPlans(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	// A table with history, and statistics, as the planner sees in use:
	// 20,000 grants, 20 of which rotated 20 times.
	now := time.Now()
	err := db.Prefill(ctx, 20_000, func(i int) (store.Grant, store.RefreshToken, error) {
		id := "p" + strconv.Itoa(i)
		return store.Grant{ID: id, ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			store.RefreshToken{Hash: id + "-rt0", GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		id := "g" + strconv.Itoa(i)
		h := func(gen int) string { return fmt.Sprintf("%s-rt%d", id, gen) }
		g := store.Grant{ID: id, ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		tok := store.RefreshToken{Hash: h(0), GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateGrant(ctx, g, tok, store.Event{}); err != nil {
			t.Fatal(err)
		}
		for gen := 1; gen <= 20; gen++ {
			next := store.RefreshToken{Hash: h(gen), GrantID: id, Generation: gen, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := db.RotateRefreshToken(ctx, h(gen-1), now, next); err != nil {
				t.Fatal(err)
			}
		}
	}
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`ANALYZE grants`)
	exec(`ANALYZE refresh_tokens`)
	exec(`PREPARE rotate AS ` + postgres.RotateSQL)
	exec(`PREPARE lookup AS ` + postgres.LookupSQL)
	const ts = `'2030-01-01T00:00:00Z'`
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		exec(`SET plan_cache_mode = ` + mode)
		for name, args := range map[string]string{
			"rotate": `(` + ts + `, 'g7-rt21', 'g7-rt20', 'g7', 21, ` + ts + `, ` + ts + `, NULL, '', '', '', '', '')`,
			"lookup": `('{g7}', '{g7-rt20}')`,
		} {
			var out []byte
			if err := conn.QueryRow(ctx, `EXPLAIN (FORMAT JSON) EXECUTE `+name+args).Scan(&out); err != nil {
				t.Fatalf("EXPLAIN %s: %v", name, err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("EXPLAIN %s: %v (%s)", name, err, out)
			}
			for _, bad := range plans[0].Plan.badScans() {
				t.Errorf("%s, %s: %s", name, mode, bad)
			}
		}
	}
}

// planNode is the part of EXPLAIN (FORMAT JSON)'s plan the test reads.
type planNode struct {
	NodeType  string     `json:"Node Type"`
	Relation  string     `json:"Relation Name"`
	Index     string     `json:"Index Name"`
	IndexCond string     `json:"Index Cond"`
	Plans     []planNode `json:"Plans"`
}

// badScans lists every read of a table, in n and below, that is not an
// index scan binding the whole key of one of probeKeys, or a bitmap heap
// scan of the pages one such index scan found (the planner's choice for
// a probe it expects two rows of).
func (n planNode) badScans() []string {
	if n.NodeType == "Bitmap Heap Scan" && len(n.Plans) == 1 && n.Plans[0].NodeType == "Bitmap Index Scan" {
		// The heap pages of one bitmap index scan: that scan is the probe.
		probe := n.Plans[0]
		probe.NodeType, probe.Relation = "Index Scan", n.Relation
		return probe.badScans()
	}
	var bad []string
	if n.Relation != "" && n.NodeType != "ModifyTable" {
		key, ok := probeKeys[n.Index]
		switch {
		case n.NodeType != "Index Scan" && n.NodeType != "Index Only Scan":
			bad = append(bad, fmt.Sprintf("%s reads %s (index %q, cond %q); want an index probe", n.NodeType, n.Relation, n.Index, n.IndexCond))
		case !ok:
			bad = append(bad, fmt.Sprintf("%s reads %s by index %s, which is not one of the hot path's", n.NodeType, n.Relation, n.Index))
		default:
			for _, col := range key {
				if !strings.Contains(n.IndexCond, "("+col+" = ") {
					bad = append(bad, fmt.Sprintf("%s of %s binds %q, not %s's whole key %v", n.NodeType, n.Relation, n.IndexCond, n.Index, key))
					break
				}
			}
		}
	}
	for _, c := range n.Plans {
		bad = append(bad, c.badScans()...)
	}
	return bad
}

// TestHotPathNeverReplans: the lookups, rotations and jti uses run on
// connections that use one generic plan per statement from the first
// execution on, so PostgreSQL never plans them again (hotPool). Under
// plan_cache_mode auto it makes a custom plan for each of a statement's
// first five executions on a connection, and for every one after while
// those stay cheaper.
func TestHotPathNeverReplans(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	now := time.Now()
	tok := func(gen int) store.RefreshToken {
		return store.RefreshToken{Hash: fmt.Sprintf("g-rt%d", gen), GrantID: "g", Generation: gen, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	g := store.Grant{ID: "g", ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateGrant(ctx, g, tok(0), store.Event{}); err != nil {
		t.Fatal(err)
	}
	for gen := 1; gen <= 8; gen++ {
		if _, _, err := db.RefreshToken(ctx, "g", tok(gen-1).Hash); err != nil {
			t.Fatal(err)
		}
		if err := db.RotateRefreshToken(ctx, tok(gen-1).Hash, now, tok(gen)); err != nil {
			t.Fatal(err)
		}
		if err := db.UseJTI(ctx, "c", fmt.Sprint("jti", gen), now.Add(time.Minute), now); err != nil {
			t.Fatal(err)
		}
	}
	conns := db.HotPool().AcquireAllIdle(ctx)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	generic := map[string]int64{}
	for _, c := range conns {
		rows, err := c.Query(ctx, `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var stmt string
			var gp, cp int64
			if err := rows.Scan(&stmt, &gp, &cp); err != nil {
				t.Fatal(err)
			}
			if cp > 0 {
				t.Errorf("%d custom plans of %.60q on a hot connection; want none", cp, stmt)
			}
			for name, q := range map[string]string{"lookup": postgres.LookupSQL, "rotate": postgres.RotateSQL, "use jti": postgres.UseJTISQL} {
				if stmt == q {
					generic[name] += gp
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"lookup", "rotate", "use jti"} {
		if generic[name] == 0 {
			t.Errorf("no %s ran on a hot connection (%d of them idle)", name, len(conns))
		}
	}
}
