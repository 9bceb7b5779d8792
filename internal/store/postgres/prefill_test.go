package postgres_test

import (
	"context"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
	"github.com/tollgate-oidc/tollgate/internal/store/storetest"
)

func TestPrefillWritesWhatCreateGrantWould(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg_prefill", nil), postgres.Options{})
	storetest.RunPrefill(t, db)
	if size, err := db.GrantBytes(context.Background()); err != nil || size <= 0 {
		t.Errorf("GrantBytes: %d, %v", size, err)
	}
}
