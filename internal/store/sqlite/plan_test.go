package sqlite

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// wantIndex fails t unless SQLite's plan for query (EXPLAIN QUERY PLAN, on
// a fresh database) uses index: the statement reads one range of it,
// never every row of the table.
func wantIndex(t *testing.T, index, query string) {
	t.Helper()
	plan := planOf(t, query)
	if !slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, index) }) {
		t.Errorf("query plan %q does not use %s", plan, index)
	}
}

// planOf returns SQLite's plan for query (EXPLAIN QUERY PLAN) on a fresh
// database, one detail line per step.
func planOf(t *testing.T, query string) []string {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tollgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.w.PrepareContext(ctx, `EXPLAIN QUERY PLAN `+query)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The plan does not depend on the values; the driver wants one per
	// parameter: as many as the plain "?" or the highest "?N", whichever
	// is more (a "?N" names one of the plain ones, or one after them).
	n := 0
	for _, m := range regexp.MustCompile(`\?(\d*)`).FindAllStringSubmatch(query, -1) {
		if m[1] == "" {
			n++
		} else if k, _ := strconv.Atoi(m[1]); k > n {
			n = k
		}
	}
	rows, err := st.QueryContext(ctx, make([]any, n)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// Every token statement of the refresh path reads its grant's rows by the
// primary key and nothing else: no scan of a table, and no index over
// every token's hash (schema.go, migration 11), whose random pages were
// the cost at a million grants.
func TestTokenStatementsSearchByGrant(t *testing.T) {
	for name, q := range map[string]string{
		"findToken": findTokenSQL, "findLegacyToken": findLegacyTokenSQL, "insertSuccessor": insertSuccessorSQL,
		"consume": consumeSQL, "dropPredecessor": dropPredecessorSQL, "tokenState": tokenStateSQL, "extend": extendSQL,
	} {
		plan := planOf(t, q)
		byKey := false
		for _, d := range plan {
			if strings.HasPrefix(d, "SCAN") || strings.Contains(d, "USING INDEX") || strings.Contains(d, "AUTOMATIC") {
				t.Errorf("%s: plan step %q reads more than its grant's rows (plan %q)", name, d, plan)
			}
			byKey = byKey || strings.Contains(d, "USING PRIMARY KEY (grant_id=?")
		}
		if !byKey {
			t.Errorf("%s: plan %q does not find tokens by grant", name, plan)
		}
	}
}
