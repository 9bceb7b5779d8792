package postgres

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ListSessions implements store.SessionLister: one range of the index
// sessions_subject (subject, created_at) of migration 0009, read backwards.
func (db *DB) ListSessions(ctx context.Context, subject string, now time.Time, limit int) ([]store.Session, error) {
	var out []store.Session
	err := db.do(ctx, "list sessions", func(ctx context.Context) error {
		out = out[:0]
		rows, err := db.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions
			WHERE subject = $1 AND expires_at > $2 ORDER BY created_at DESC, id COLLATE "C" LIMIT $3`,
			subject, now, store.SessionLimit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s store.Session
			if err := rows.Scan(sessionDest(&s)...); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
