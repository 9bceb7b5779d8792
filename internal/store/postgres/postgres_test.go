package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

// baseDSN is the test database's DSN from TOLLGATE_TEST_POSTGRES. Without
// it the test is skipped, except in CI, where a PostgreSQL test that does
// not run is a failure.
func baseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TOLLGATE_TEST_POSTGRES")
	if dsn == "" {
		const how = "TOLLGATE_TEST_POSTGRES is not set. Start a throwaway PostgreSQL with " +
			"`eval \"$(scripts/test-postgres.sh start)\"` (from the repository root) and run the tests again; " +
			"stop it with `scripts/test-postgres.sh stop \"$TOLLGATE_TEST_POSTGRES_DIR\"`"
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set: the PostgreSQL tests must run. " + how)
		}
		t.Skip(how)
	}
	return dsn
}

// withParams adds connection parameters to a URL or keyword/value DSN.
func withParams(t testing.TB, dsn string, params map[string]string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("TOLLGATE_TEST_POSTGRES does not parse as a URL")
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		dsn += " " + k + "='" + v + "'"
	}
	return dsn
}

// newSchema creates an empty schema of its own for one test, dropped when
// the test ends, and returns a DSN whose search_path is that schema, with
// params added.
func newSchema(t testing.TB, params map[string]string) string {
	t.Helper()
	base := baseDSN(t)
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "tg_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to TOLLGATE_TEST_POSTGRES: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	p := map[string]string{"search_path": schema}
	for k, v := range params {
		p[k] = v
	}
	return withParams(t, base, p)
}

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
			dsn := newSchema(t, h.opts)
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
	baseDSN(t)
	h := &handles{dsn: map[store.Store]string{}}
	storetest.RunBackend(t, h.backend())
	t.Logf("READ COMMITTED: %d retries", h.retries())
}

// TestStoreSerializable runs the suite again with every transaction
// SERIALIZABLE, where a lost race is a serialization failure (40001) that
// the store must retry and never hand to a caller; the races must have
// made it retry.
func TestStoreSerializable(t *testing.T) {
	baseDSN(t)
	h := &handles{dsn: map[store.Store]string{}, opts: map[string]string{"default_transaction_isolation": "serializable"}}

	// The parameter reaches the server.
	db := open(t, newSchema(t, h.opts), postgres.Options{})
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
