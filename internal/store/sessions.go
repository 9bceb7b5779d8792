package store

import (
	"context"
	"time"
)

// SessionLister is the operator console's view of a person's browser
// sessions (internal/console): the sessions themselves, not only the
// session ids found on their grants.
type SessionLister interface {
	// ListSessions returns up to limit (at most MaxSessionList; the
	// maximum when limit <= 0) sessions of subject that are live at now
	// (ExpiresAt after now), newest first (CreatedAt descending, then ID),
	// as stored: the caller must never show Session.ID, the hash of the
	// cookie, only the public SID or a label of it. The sessions(subject,
	// created_at) index makes this one index range.
	ListSessions(ctx context.Context, subject string, now time.Time, limit int) ([]Session, error)
}

// MaxSessionList bounds ListSessions: a person signed in from more
// browsers than this at once is a script, and the page shows the newest.
const MaxSessionList = 100

// SessionLimit is the limit ListSessions applies for limit.
func SessionLimit(limit int) int {
	if limit <= 0 || limit > MaxSessionList {
		return MaxSessionList
	}
	return limit
}
