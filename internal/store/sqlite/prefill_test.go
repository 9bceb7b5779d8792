package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

func TestPrefillWritesWhatCreateGrantWould(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.RunPrefill(t, db)
}
