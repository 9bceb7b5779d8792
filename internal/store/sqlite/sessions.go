package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// listSessionsSQL is ListSessions's query (subject, now, limit); its plan
// test checks this very text.
const listSessionsSQL = `SELECT ` + sessionCols + ` FROM sessions
		WHERE subject = ? AND expires_at > ? ORDER BY created_at DESC, id LIMIT ?`

// ListSessions implements store.SessionLister: one range of the index
// sessions_subject (subject, created_at), read backwards, on the read pool.
func (db *DB) ListSessions(ctx context.Context, subject string, now time.Time, limit int) ([]store.Session, error) {
	rows, err := db.r.QueryContext(ctx, listSessionsSQL, subject, micros(now), store.SessionLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	defer rows.Close()
	var out []store.Session
	for rows.Next() {
		var s store.Session
		if err := rows.Scan(sessionDest(&s)...); err != nil {
			return nil, fmt.Errorf("sqlite: list sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list sessions: %w", err)
	}
	return out, nil
}
