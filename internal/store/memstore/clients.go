package memstore

import (
	"context"
	"slices"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

func copyClient(c store.ClientRecord) store.ClientRecord {
	c.Settings = slices.Clone(c.Settings)
	c.CreatedAt, c.UpdatedAt = norm(c.CreatedAt), norm(c.UpdatedAt)
	return c
}

// CreateClient implements store.ClientStore.
func (s *Store) CreateClient(ctx context.Context, c store.ClientRecord, ev store.Event) error {
	if err := s.lock(ctx, "create client"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, dup := s.clients[c.ID]; dup {
		return conflict("create client")
	}
	if s.clients == nil {
		s.clients = map[string]store.ClientRecord{}
	}
	c = copyClient(c)
	c.Version = 1
	s.clients[c.ID] = c
	s.record(ev, c.CreatedAt, store.Grant{ClientID: c.ID})
	return nil
}

// UpdateClient implements store.ClientStore.
func (s *Store) UpdateClient(ctx context.Context, c store.ClientRecord, ev store.Event) error {
	if err := s.lock(ctx, "update client"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.clients[c.ID]
	switch {
	case !ok:
		return notFound("update client")
	case old.Version != c.Version:
		return conflict("update client")
	}
	c = copyClient(c)
	c.CreatedAt, c.Version = old.CreatedAt, old.Version+1
	s.clients[c.ID] = c
	s.record(ev, c.UpdatedAt, store.Grant{ClientID: c.ID})
	return nil
}

// StoredClient implements store.ClientStore.
func (s *Store) StoredClient(ctx context.Context, id string) (store.ClientRecord, error) {
	if err := s.lock(ctx, "client"); err != nil {
		return store.ClientRecord{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return store.ClientRecord{}, notFound("client")
	}
	return copyClient(c), nil
}

// ListClients implements store.ClientStore.
func (s *Store) ListClients(ctx context.Context, after string, limit int) ([]store.ClientRecord, error) {
	all, err := s.AllClients(ctx)
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(all, after, func(c store.ClientRecord, id string) int { return strings.Compare(c.ID, id) })
	for i < len(all) && all[i].ID <= after {
		i++
	}
	all = all[i:]
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// AllClients implements store.ClientStore.
func (s *Store) AllClients(ctx context.Context) ([]store.ClientRecord, error) {
	if err := s.lock(ctx, "all clients"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.ClientRecord, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, copyClient(c))
	}
	slices.SortFunc(out, func(a, b store.ClientRecord) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
