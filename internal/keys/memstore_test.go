package keys

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// memStore is an in-memory Store: a map keyed by kid, kept in insertion
// order, that reports ErrConflict on a duplicate id as every backend must.
type memStore struct {
	mu      sync.Mutex
	rows    []store.SigningKey
	byID    map[string]bool
	reads   int
	barrier int           // the first `barrier` reads wait for each other
	arrived chan struct{} // closed when `barrier` readers have arrived
	addErr  error         // returned by AddSigningKey when set
	readErr error         // returned by SigningKeys when set
	gate    chan struct{} // when set, SigningKeys waits for it to close
	lost    int           // inserts refused with ErrConflict
}

func newMemStore(rows ...store.SigningKey) *memStore {
	m := &memStore{byID: map[string]bool{}}
	for _, r := range rows {
		m.rows = append(m.rows, r)
		m.byID[r.ID] = true
	}
	return m
}

func (m *memStore) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	m.mu.Lock()
	m.reads++
	if gate := m.gate; gate != nil {
		m.mu.Unlock()
		<-gate
		m.mu.Lock()
	}
	if m.readErr != nil {
		m.mu.Unlock()
		return nil, m.readErr
	}
	wait := m.barrier > 0 && m.reads <= m.barrier
	if m.barrier > 0 && m.reads == m.barrier {
		close(m.arrived)
	}
	out := make([]store.SigningKey, len(m.rows))
	copy(out, m.rows)
	m.mu.Unlock()
	if wait {
		<-m.arrived
	}
	return out, nil
}

func (m *memStore) DeleteSigningKey(ctx context.Context, id string, ev store.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.rows, func(k store.SigningKey) bool { return k.ID == id })
	if i < 0 {
		return store.ErrNotFound
	}
	m.rows = slices.Delete(m.rows, i, i+1)
	delete(m.byID, id)
	return nil
}

func (m *memStore) AddSigningKey(ctx context.Context, k store.SigningKey, ev store.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.addErr != nil {
		return m.addErr
	}
	if m.byID[k.ID] {
		m.lost++
		return store.ErrConflict
	}
	m.byID[k.ID] = true
	k.Sealed = bytes.Clone(k.Sealed)
	m.rows = append(m.rows, k)
	return nil
}

// readCount is how many times SigningKeys was called.
func (m *memStore) readCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads
}

// set changes the store's state under its lock.
func (m *memStore) set(f func(m *memStore)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
}
