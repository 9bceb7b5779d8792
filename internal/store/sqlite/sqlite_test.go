package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

func TestStore(t *testing.T) {
	// Each store is opened on a file of its own; Reopen opens the same file
	// again, as a second process would (its own writer, readers and
	// locks), so the races between handles are decided by SQLite's file
	// locks, not by one process's single writer.
	paths := map[store.Store]string{}
	open := func(t *testing.T, path string) store.Store {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		paths[db] = path
		return db
	}
	storetest.RunBackend(t, storetest.Backend{
		New: func(t *testing.T) store.Store {
			return open(t, filepath.Join(t.TempDir(), "state", "tollgate.db"))
		},
		Reopen: func(t *testing.T, s store.Store) store.Store { return open(t, paths[s]) },
		TokenRows: func(t *testing.T, s store.Store, grantID string) int {
			return sqlite.TokenRows(t, s.(*sqlite.DB), grantID)
		},
	})
}
