package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

func open(t testing.TB, dsn string, o postgres.Options) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

// handles is a backend for the suite that remembers every handle it
// opened, so a test can add up their retries.
type handles struct {
	mu   sync.Mutex
	dsn  map[store.Store]string
	all  []*postgres.DB
	opts map[string]string
}

func (h *handles) add(db *postgres.DB, dsn string) *postgres.DB {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dsn[db] = dsn
	h.all = append(h.all, db)
	return db
}

func (h *handles) retries() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int64
	for _, db := range h.all {
		n += db.Retries()
	}
	return n
}

func (h *handles) backend() storetest.Backend {
	return storetest.Backend{
		New: func(t *testing.T) store.Store {
			dsn := pgtest.Schema(t, "tg", h.opts)
			return h.add(open(t, dsn, postgres.Options{}), dsn)
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			h.mu.Lock()
			dsn := h.dsn[s]
			h.mu.Unlock()
			// Another node on the migrated database (New migrated it).
			return h.add(open(t, dsn, postgres.Options{NoMigrate: true}), dsn)
		},
		TokenRows: func(t *testing.T, s store.Store, grantID string) int {
			n, err := s.(*postgres.DB).TokenRows(context.Background(), grantID)
			if err != nil {
				t.Fatalf("TokenRows: %v", err)
			}
			return n
		},
	}
}

// TestStore runs the conformance suite under PostgreSQL's default
// isolation, READ COMMITTED.
func TestStore(t *testing.T) {
	pgtest.BaseDSN(t)
	h := &handles{dsn: map[store.Store]string{}}
	storetest.RunBackend(t, h.backend())
	t.Logf("READ COMMITTED: %d retries", h.retries())
}

// TestStoreSerializable runs the suite again with every transaction
// SERIALIZABLE, where a lost race is a serialization failure (40001) that
// the store must retry and never hand to a caller; the races must have
// made it retry.
func TestStoreSerializable(t *testing.T) {
	pgtest.BaseDSN(t)
	h := &handles{dsn: map[store.Store]string{}, opts: map[string]string{"default_transaction_isolation": "serializable"}}

	// The parameter reaches the server.
	db := open(t, pgtest.Schema(t, "tg", h.opts), postgres.Options{})
	var level string
	if err := db.Pool().QueryRow(context.Background(), `SHOW transaction_isolation`).Scan(&level); err != nil || level != "serializable" {
		t.Fatalf("transaction_isolation = %q, %v; want serializable", level, err)
	}
	db.Close()

	storetest.RunBackend(t, h.backend())
	n := h.retries()
	t.Logf("SERIALIZABLE: %d retries", n)
	if n == 0 {
		t.Error("no statement was retried under SERIALIZABLE: the races did not exercise the retry path")
	}
}
