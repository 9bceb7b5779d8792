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
	storetest.RunBackend(t, storetest.Backend{
		New: func(t *testing.T) store.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state", "tollgate.db"))
			if err != nil {
				t.Fatal(err)
			}
			return db
		},
		TokenRows: func(t *testing.T, s store.Store, grantID string) int {
			return sqlite.TokenRows(t, s.(*sqlite.DB), grantID)
		},
	})
}
