package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// Two nodes starting at once on an empty schema both come up, and the
// migrations are applied once.
func TestMigrateConcurrentOpen(t *testing.T) {
	dsn := pgtest.Schema(t, "tg", nil)
	const n = 4
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = postgres.Open(context.Background(), dsn, postgres.Options{})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		return
	}
	var rows, top int
	err := dbs[0].Pool().QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&rows, &top)
	if want := postgres.KnownVersions(); err != nil || rows != want || top != want {
		t.Errorf("schema_migrations: %d rows up to version %d, %v; want %d", rows, top, err, want)
	}
}

// MigrationStatus lists every version, pending before Migrate and applied
// after; Migrate is idempotent.
func TestMigrationStatus(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{NoMigrate: true})
	defer db.Close()
	check := func(when string, applied bool) {
		t.Helper()
		st, err := db.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("%s: MigrationStatus: %v", when, err)
		}
		if len(st) != postgres.KnownVersions() {
			t.Fatalf("%s: %d migrations listed, want %d", when, len(st), postgres.KnownVersions())
		}
		for i, m := range st {
			if m.Version != i+1 || m.Name == "" || m.AppliedAt.IsZero() == applied {
				t.Errorf("%s: migration %d = %+v; want version %d, a name, applied %v", when, i, m, i+1, applied)
			}
		}
	}
	check("before Migrate", false)
	if _, _, err := db.GrantChain(ctx, "g1"); err == nil {
		t.Error("NoMigrate: the tables exist before Migrate")
	}
	for range 2 {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	check("after Migrate", true)
}

// A database migrated by a newer build is refused, not written to, and the
// status shows the version this build does not know.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t, "tg", nil)
	db := open(t, dsn, postgres.Options{})
	defer db.Close()
	newer := postgres.KnownVersions() + 1
	if _, err := db.Pool().Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')`, newer); err != nil {
		t.Fatal(err)
	}
	if db2, err := postgres.Open(ctx, dsn, postgres.Options{}); err == nil {
		db2.Close()
		t.Error("Open of a newer schema: err = nil")
	} else if !strings.Contains(err.Error(), "schema version") {
		t.Errorf("Open of a newer schema: err = %v, want one that names the schema version", err)
	}
	if err := db.Migrate(ctx); err == nil {
		t.Error("Migrate of a newer schema: err = nil")
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := st[len(st)-1]; last.Version != newer || last.Name != "from_the_future" || last.AppliedAt.IsZero() {
		t.Errorf("status of the newer version = %+v", last)
	}
}
