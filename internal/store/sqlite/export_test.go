package sqlite

import (
	"context"
	"testing"
)

// TokenRows counts the refresh-token rows db keeps for a grant, consumed
// ones included (storetest.Backend.TokenRows).
func TokenRows(t *testing.T, db *DB, grantID string) int {
	t.Helper()
	var n int
	if err := db.r.QueryRowContext(context.Background(),
		`SELECT count(*) FROM refresh_tokens WHERE grant_id = ?`, grantID).Scan(&n); err != nil {
		t.Fatalf("counting token rows: %v", err)
	}
	return n
}
