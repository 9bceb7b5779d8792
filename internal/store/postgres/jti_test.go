package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// A batch of jti uses is one transaction, and each use in it is judged as
// alone: a second use of an id in the same batch, or of one used before
// and unexpired, is ErrConflict; an expired one is taken over.
func TestJTIBatch(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	now := time.Now()
	if err := db.UseJTI(ctx, "c1", "used", now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if err := db.UseJTI(ctx, "c1", "expired", now.Add(-time.Minute), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	use := func(client, jti string) postgres.JTIUse {
		return postgres.JTIUse{ClientID: client, JTI: jti, ExpiresAt: now.Add(time.Hour), Now: now}
	}
	errs := db.JTIBatch(use("c1", "new"), use("c1", "used"), use("c2", "used"), use("c1", "expired"),
		use("c1", "twice"), use("c1", "twice"))
	for i, want := range []error{nil, store.ErrConflict, nil, nil} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("use %d: err = %v, want %v", i, errs[i], want)
		}
	}
	if (errs[4] == nil) == (errs[5] == nil) || !errors.Is(errors.Join(errs[4], errs[5]), store.ErrConflict) {
		t.Errorf("two uses of one id in a batch: %v, %v; want one nil, one ErrConflict", errs[4], errs[5])
	}
	var xids int
	if err := db.Pool().QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM used_jtis WHERE jti IN ('new', 'expired', 'twice')`).Scan(&xids); err != nil {
		t.Fatal(err)
	}
	if xids != 1 {
		t.Errorf("the batch's uses were written by %d transactions, want 1", xids)
	}
}

// A use the database refuses (text PostgreSQL cannot store: a NUL) fails
// its batch's transaction; each use is then tried alone, so only it fails.
func TestJTIBatchWithAFailingStatement(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	now := time.Now()
	use := func(jti string) postgres.JTIUse {
		return postgres.JTIUse{ClientID: "c1", JTI: jti, ExpiresAt: now.Add(time.Hour), Now: now}
	}
	errs := db.JTIBatch(use("a"), use("b\x00"), use("c"))
	if errs[0] != nil || errs[2] != nil || errs[1] == nil {
		t.Errorf("uses a, b with a NUL, c: %v, %v, %v; want nil, an error, nil", errs[0], errs[1], errs[2])
	}
	if err := db.UseJTI(context.Background(), "c1", "a", now.Add(time.Hour), now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("a again after the batch: err = %v, want ErrConflict (recorded)", err)
	}
}

// Batches of jti uses take their locks in one order: two batches using
// the same two ids, handed over in opposite orders, wait for each other
// instead of deadlocking, and each id is used once.
func TestJTIBatchesDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t, "tg", map[string]string{"application_name": "tollgate-jti-lock-order"})
	db := open(t, dsn, postgres.Options{})
	defer db.Close()
	// Both ids were used and have expired, so a use takes over the row,
	// locking it (a queue of waiters, served in order); "a" is held.
	now := time.Now()
	for _, jti := range []string{"a", "b"} {
		if err := db.UseJTI(ctx, "c1", jti, now.Add(-time.Minute), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	tx := holdLocks(t, dsn, `SELECT 1 FROM used_jtis WHERE client_id = 'c1' AND jti = 'a' FOR UPDATE`)
	use := func(jti string) postgres.JTIUse {
		return postgres.JTIUse{ClientID: "c1", JTI: jti, ExpiresAt: now.Add(time.Hour), Now: now}
	}
	inOneOrder(t, db, tx,
		func() []error { return db.JTIBatch(use("a"), use("b")) },
		func() []error { return db.JTIBatch(use("b"), use("a")) })
}
