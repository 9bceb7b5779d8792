package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// jtiUse is a use of id by client c1 until an hour from now.
func jtiUse(id string) postgres.JTIUse {
	now := time.Now()
	return postgres.JTIUse{ClientID: "c1", JTI: id, ExpiresAt: now.Add(time.Hour), Now: now}
}

// xids is how many transactions wrote the rows q selects (each row's xmin).
func xids(t *testing.T, db *postgres.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(DISTINCT xmin::text) FROM (`+q+`) w`, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rotationsAndUses is the xmin of the jti uses ids and of the successors
// of the grants' first tokens, for xids.
const rotationsAndUses = `SELECT xmin FROM used_jtis WHERE jti = ANY($1)
	UNION ALL SELECT xmin FROM refresh_tokens WHERE hash = ANY($2)`

// Rotations and jti uses go in one batch, one transaction, and each is
// judged as alone: a used id is ErrConflict and costs the rotations beside
// it nothing.
func TestWriteBatchOfRotationsAndJTIUses(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2")
	if err := db.UseJTI(ctx, "c1", "used", time.Now().Add(time.Hour), time.Now()); err != nil {
		t.Fatal(err)
	}
	errs := db.WriteBatch(first("g2"), jtiUse("new"), jtiUse("used"), first("g1"))
	for i, want := range []error{nil, nil, store.ErrConflict, nil} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("write %d: err = %v, want %v", i, errs[i], want)
		}
	}
	if n := xids(t, db, rotationsAndUses, []string{"new"}, []string{"rt1-g1", "rt1-g2"}); n != 1 {
		t.Errorf("the batch's rotations and jti use were written by %d transactions, want 1", n)
	}
}

// Batches of rotations and jti uses take their locks in one order across
// the two kinds: two batches using one id and rotating one token, handed
// over in opposite orders (a client retrying on two nodes, a replayed
// proof), wait for each other instead of deadlocking.
func TestWriteBatchesDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t, "tg", map[string]string{"application_name": "tollgate-write-lock-order"})
	db := open(t, dsn, postgres.Options{})
	defer db.Close()
	grants(t, db, "ga")
	// The id was used and has expired, so a use takes over the row,
	// locking it; the lock is held.
	if err := db.UseJTI(ctx, "c1", "a", time.Now().Add(-time.Minute), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	tx := holdLocks(t, dsn, `SELECT 1 FROM used_jtis WHERE client_id = 'c1' AND jti = 'a' FOR UPDATE`)
	other := first("ga")
	other.Next.Hash = "rt1b-ga"
	inOneOrder(t, db, tx,
		func() []error { return db.WriteBatch(jtiUse("a"), first("ga")) },
		func() []error { return db.WriteBatch(other, jtiUse("a")) })
}

// The writer takes the rotations and the jti uses queued while its last
// batch ran into one transaction: a DPoP-bound refresh's proof id shares
// a commit with other refreshes' rotations instead of paying for its own.
// The writer is held on a locked token while a use and a rotation queue;
// their goroutines get a moment to reach the writer's channels, and as
// that is scheduling, not a promise, the test tries three times before it
// says the two were never batched.
func TestWriterBatchesRotationsWithJTIUses(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Schema(t, "tg", map[string]string{"application_name": "tollgate-writer-mix"})
	db := open(t, dsn, postgres.Options{})
	defer db.Close()
	for try := range 3 {
		held, queued, id := "h"+string(rune('0'+try)), "q"+string(rune('0'+try)), "j"+string(rune('0'+try))
		grants(t, db, held, queued)
		tx := holdLocks(t, dsn, `SELECT 1 FROM refresh_tokens WHERE hash = 'rt0-`+held+`' FOR UPDATE`)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Go(func() { r := first(held); errs[0] = db.RotateRefreshToken(ctx, r.OldHash, r.ConsumedAt, r.Next) })
		waitForLockWaits(t, db, 1)
		wg.Go(func() { u := jtiUse(id); errs[1] = db.UseJTI(ctx, u.ClientID, u.JTI, u.ExpiresAt, u.Now) })
		wg.Go(func() { r := first(queued); errs[2] = db.RotateRefreshToken(ctx, r.OldHash, r.ConsumedAt, r.Next) })
		time.Sleep(100 * time.Millisecond)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if xids(t, db, rotationsAndUses, []string{id}, []string{"rt1-" + queued}) == 1 {
			return
		}
	}
	t.Error("a jti use and a rotation queued behind the writer's batch were committed apart, three times; want one transaction")
}

// The batch counters (/metrics) count a batch once in each kind it holds,
// with its calls of that kind; a lookup batch counts as lookups.
func TestBatchCounts(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2")
	if errs := db.WriteBatch(first("g1"), jtiUse("a"), first("g2")); errors.Join(errs...) != nil {
		t.Fatal(errs)
	}
	if errs := db.JTIBatch(jtiUse("b")); errors.Join(errs...) != nil {
		t.Fatal(errs)
	}
	db.LookupBatch(postgres.Lookup{GrantID: "g1", Hash: "rt1-g1"}, postgres.Lookup{GrantID: "g2", Hash: "rt1-g2"})
	for kind, want := range map[int][2]int64{store.BatchRotate: {2, 1}, store.BatchUseJTI: {2, 2}, store.BatchLookup: {2, 1}} {
		if calls, batches := db.Batches().Get(kind); calls != want[0] || batches != want[1] {
			t.Errorf("kind %d: %d calls in %d batches, want %d in %d", kind, calls, batches, want[0], want[1])
		}
	}
}
