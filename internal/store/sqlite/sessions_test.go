package sqlite

import (
	"testing"
)

// TestListSessionsUsesIndex: a person's sessions are one range of
// sessions_subject (migration 10), newest first (SQLite sorts only the id
// tie-break of equal sign-in times, in a small temporary tree): never a
// scan of every session.
func TestListSessionsUsesIndex(t *testing.T) {
	wantIndex(t, "sessions_subject", listSessionsSQL)
}
