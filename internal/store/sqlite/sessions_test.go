package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestListSessionsUsesIndex: a person's sessions are one range of
// sessions_subject (migration 10), newest first without a sort: never a
// scan of every session.
func TestListSessionsUsesIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tollgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT `+sessionCols+` FROM sessions
		WHERE subject = ? AND expires_at > ? ORDER BY created_at DESC, id LIMIT ?`, "alice", 1, 20)
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
	if !slices.ContainsFunc(plan, func(d string) bool { return strings.Contains(d, "sessions_subject") }) {
		t.Errorf("query plan %q does not use sessions_subject", plan)
	}
}
