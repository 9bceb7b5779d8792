package postgres_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// setColumn matches a column rotateSQL assigns: a bare name (the WHERE
// clauses name theirs through an alias, t.hash).
var setColumn = regexp.MustCompile(`[^.\w](\w+) = `)

// keptBy are the columns an index of refresh_tokens may cover that a
// rotation writes or PostgreSQL computes, and why a rotation leaves each
// one's value as it was (migrations 0010, 0011): an update that changes
// no indexed value is a HOT update.
var keptBy = map[string]string{
	"slot":         "generation % 2, generated: the successor's generation has the parity of the row it rewrites",
	"expires_hour": "the hour of expires_at, written with it: it changes only when a rotation moves the expiry into another hour",
}

// TestRotationTouchesNoIndex: no index of refresh_tokens covers a column
// a rotation assigns, nor one computed from such a column, other than the
// ones keptBy says a rotation keeps the value of, so both of a rotation's updates can
// be HOT updates, which write no index entry (doc.go). An index on hash,
// as before migration 0010, made three new index entries per rotation.
func TestRotationTouchesNoIndex(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	var assigned []string
	for _, m := range setColumn.FindAllStringSubmatch(postgres.RotateSQL, -1) {
		assigned = append(assigned, m[1])
	}
	for _, want := range []string{"consumed_at", "successor_hash", "hash", "generation", "expires_at", "expires_hour"} {
		if !slices.Contains(assigned, want) {
			t.Fatalf("columns rotateSQL assigns, as read: %v; missing %s", assigned, want)
		}
	}
	// Every column an index covers (by key, INCLUDE, expression or
	// predicate), and the columns each generated column is computed from.
	rows, err := db.Pool().Query(ctx, `
		SELECT c.relname, a.attname, a.attgenerated <> '', COALESCE((
			SELECT array_agg(s.attname::text) FROM pg_depend d
			JOIN pg_attribute s ON s.attrelid = d.refobjid AND s.attnum = d.refobjsubid
			WHERE d.classid = 'pg_class'::regclass AND d.objid = a.attrelid AND d.objsubid = a.attnum
				AND d.refobjid = a.attrelid AND d.refobjsubid <> a.attnum), '{}')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0 AND NOT a.attisdropped
			AND (a.attnum = ANY(i.indkey) OR pg_get_indexdef(i.indexrelid) ~ ('\m' || a.attname || '\M'))
		WHERE i.indrelid = 'refresh_tokens'::regclass`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	covered := 0
	for rows.Next() {
		var index, col string
		var generated bool
		var from []string
		if err := rows.Scan(&index, &col, &generated, &from); err != nil {
			t.Fatal(err)
		}
		covered++
		switch {
		case keptBy[col] != "":
		case slices.Contains(assigned, col):
			t.Errorf("index %s covers %s, which a rotation assigns: no rotation can be a HOT update", index, col)
		case generated:
			t.Errorf("index %s covers %s, computed from %v: say in keptBy why a rotation keeps its value", index, col, from)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if covered == 0 {
		t.Fatal("found no indexed column of refresh_tokens: the catalog query is wrong")
	}
}
