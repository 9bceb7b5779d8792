package memstore_test

import (
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.RunBackend(t, storetest.Backend{
		New: func(*testing.T) store.Store { return memstore.New() },
		TokenRows: func(_ *testing.T, s store.Store, grantID string) int {
			return memstore.TokenRows(s.(*memstore.Store), grantID)
		},
	})
}
