package memstore

import (
	"context"
	"sort"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ListSessions implements store.SessionLister: a walk of every session,
// which is fine for the in-memory store's sizes.
func (s *Store) ListSessions(ctx context.Context, subject string, now time.Time, limit int) ([]store.Session, error) {
	if err := s.lock(ctx, "list sessions"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Session
	for _, ss := range s.sessions {
		if ss.Subject == subject && ss.ExpiresAt.After(now) {
			out = append(out, copySession(ss))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	if n := store.SessionLimit(limit); len(out) > n {
		out = out[:n]
	}
	return out, nil
}
