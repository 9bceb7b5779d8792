package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ListGrants implements store.GrantLister: a walk of every grant (the
// memstore serves tests and a single process, not a million grants).
func (s *Store) ListGrants(ctx context.Context, q store.GrantQuery) ([]store.GrantSummary, string, error) {
	after, err := q.AfterGrant()
	if err != nil {
		return nil, "", err
	}
	if err := s.lock(ctx, "list grants"); err != nil {
		return nil, "", err
	}
	defer s.mu.Unlock()
	newest := map[string]store.RefreshToken{}
	for _, t := range s.tokens {
		if n, ok := newest[t.GrantID]; !ok || t.Generation > n.Generation {
			newest[t.GrantID] = t
		}
	}
	var out []store.GrantSummary
	for _, g := range s.grants {
		if g.ID <= after || !matches(g, q.GrantFilter) {
			continue
		}
		if q.Live && (g.Revoked() || !q.Now.Before(g.ExpiresAt)) {
			continue
		}
		sum := store.GrantSummary{Grant: copyGrant(g), Generation: -1}
		if t, ok := newest[g.ID]; ok {
			sum.Generation, sum.LastUsed = t.Generation, t.CreatedAt
			sum.Node, sum.RemoteAddr, sum.UserAgent = t.Node, t.RemoteAddr, t.UserAgent
		}
		out = append(out, sum)
	}
	slices.SortFunc(out, func(a, b store.GrantSummary) int { return strings.Compare(a.ID, b.ID) })
	if n := q.PageSize(); len(out) > n {
		out = out[:n]
		return out, store.GrantCursor(out[n-1].ID), nil
	}
	return out, "", nil
}

// matches reports whether g has every value f sets.
func matches(g store.Grant, f store.GrantFilter) bool {
	return (f.ClientID == "" || g.ClientID == f.ClientID) && (f.Subject == "" || g.Subject == f.Subject) &&
		(f.SessionID == "" || g.SessionID == f.SessionID)
}

// GrantLineage implements store.GrantLister.
func (s *Store) GrantLineage(ctx context.Context, id string) (store.Grant, []store.RefreshToken, error) {
	if err := s.lock(ctx, "grant lineage"); err != nil {
		return store.Grant{}, nil, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return store.Grant{}, nil, notFound("grant lineage")
	}
	var ts []store.RefreshToken
	for _, t := range s.tokens {
		if t.GrantID == id {
			ts = append(ts, copyToken(t))
		}
	}
	slices.SortFunc(ts, func(a, b store.RefreshToken) int { return cmp.Compare(a.Generation, b.Generation) })
	return copyGrant(g), ts, nil
}
