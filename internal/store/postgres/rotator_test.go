package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// grants makes a grant with its first token for each id.
func grants(t *testing.T, db *postgres.DB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		g, rt := grantAndToken(id)
		if err := db.CreateGrant(context.Background(), g, rt, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
}

// first is the rotation of grant id's first token into generation 1.
func first(id string) postgres.Rotation {
	return postgres.Rotation{OldHash: "rt0-" + id, ConsumedAt: time.Now(), Next: successor(id, 1)}
}

// taken rotates grant id's first token, and returns the rotation of its
// successor onto the hash of the token it replaced, which the grant still
// holds: a statement that fails (unique_violation on the grant's slot).
func taken(t *testing.T, db *postgres.DB, id string) postgres.Rotation {
	t.Helper()
	if err := db.RotateRefreshToken(context.Background(), "rt0-"+id, time.Now(), successor(id, 1)); err != nil {
		t.Fatal(err)
	}
	next := successor(id, 2)
	next.Hash = "rt0-" + id
	return postgres.Rotation{OldHash: "rt1-" + id, ConsumedAt: time.Now(), Next: next}
}

// A batch is one transaction: its successors are written by one
// transaction id, and a lost rotation in it costs the others nothing.
func TestBatchIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2", "g3")
	// g2's first token was rotated before: the batch's rotation of it loses.
	if err := db.RotateRefreshToken(ctx, "rt0-g2", time.Now(), successor("g2", 1)); err != nil {
		t.Fatal(err)
	}
	unknown := postgres.Rotation{OldHash: "rt0-nope", ConsumedAt: time.Now(), Next: successor("g3", 9)}
	errs := db.RotateBatch(first("g3"), first("g2"), first("g1"), unknown)
	for i, want := range []error{nil, store.ErrConflict, nil, store.ErrNotFound} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("rotation %d: err = %v, want %v", i, errs[i], want)
		}
	}
	var xids int
	if err := db.Pool().QueryRow(ctx, `SELECT count(DISTINCT xmin::text) FROM refresh_tokens WHERE hash = ANY($1)`,
		[]string{"rt1-g1", "rt1-g3"}).Scan(&xids); err != nil {
		t.Fatal(err)
	}
	if xids != 1 {
		t.Errorf("the batch's successors were written by %d transactions, want 1", xids)
	}
}

// A statement that fails fails its batch's transaction; then each
// rotation is tried on its own, so only the faulty one fails.
func TestBatchWithAFailingStatement(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2", "g3")
	errs := db.RotateBatch(first("g1"), taken(t, db, "g2"), first("g3"))
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("the sound rotations of a batch with a failing statement: %v, %v; want both nil", errs[0], errs[2])
	}
	if !errors.Is(errs[1], store.ErrConflict) {
		t.Errorf("the rotation to a taken hash: err = %v, want ErrConflict", errs[1])
	}
	for _, id := range []string{"g1", "g3"} {
		if rt, _, err := db.RefreshToken(ctx, id, "rt1-"+id); err != nil || rt.Consumed() {
			t.Errorf("successor of %s after the batch: consumed %v, %v; want live", id, rt.Consumed(), err)
		}
	}
	if rt, _, err := db.RefreshToken(ctx, "g2", "rt1-g2"); err != nil || rt.Consumed() {
		t.Errorf("the token whose rotation failed: consumed %v, %v; want still live", rt.Consumed(), err)
	}
}

// Two rotations of one token in one batch: the first wins, the second
// sees it (the statements of a batch see the earlier ones).
func TestBatchRotatesATokenOnce(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1")
	again := first("g1")
	again.Next.Hash = "rt1b-g1"
	errs := db.RotateBatch(first("g1"), again)
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("the losing rotation: err = %v, want ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d of two rotations of one token in a batch won, want 1", wins)
	}
}

// Batches take their row locks in one order. Two batches rotating the
// same two tokens, handed over in opposite orders (a client retrying on
// two nodes), wait for each other instead of deadlocking: no retry, and
// each token rotated once.
func TestBatchesDoNotDeadlock(t *testing.T) {
	// Its own application_name, so that only this test's sessions are
	// counted as waiting (other packages' tests share the database).
	dsn := pgtest.Schema(t, "tg", map[string]string{"application_name": "tollgate-batch-lock-order"})
	db := open(t, dsn, postgres.Options{})
	defer db.Close()
	grants(t, db, "ga", "gb")
	tx := holdLocks(t, dsn, `SELECT 1 FROM refresh_tokens WHERE hash = 'rt0-ga' FOR UPDATE`)
	other := func(id string) postgres.Rotation {
		r := first(id)
		r.Next.Hash = "rt1b-" + id
		return r
	}
	inOneOrder(t, db, tx,
		func() []error { return db.RotateBatch(first("ga"), first("gb")) },
		func() []error { return db.RotateBatch(other("gb"), other("ga")) })
}

// inOneOrder checks that two batches over the same two rows, the first
// (a, b) and the second (b, a), take their locks in one order while tx
// holds a's: the first waits for a, holding nothing; the second then
// comes, and in the order it was handed it would take b's lock and wait
// for a's, which the first would hold while it waits for b's. Once tx
// ends, no batch may have been retried (a deadlock is, after a second),
// and of each row's two writes exactly one may have won.
func inOneOrder(t *testing.T, db *postgres.DB, tx pgx.Tx, first, second func() []error) {
	t.Helper()
	var wg sync.WaitGroup
	var errs1, errs2 []error
	wg.Go(func() { errs1 = first() })
	waitForLockWaits(t, db, 1)
	wg.Go(func() { errs2 = second() })
	waitForLockWaits(t, db, 2)
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if n := db.Retries(); n != 0 {
		t.Errorf("two batches over the same rows were retried %d times, want none (a deadlock?)", n)
	}
	for i := range 2 {
		if (errs1[i] == nil) == (errs2[1-i] == nil) {
			t.Errorf("row %d: the first batch's write %v, the second's %v; want exactly one to win", i, errs1[i], errs2[1-i])
		}
	}
}

// holdLocks runs stmts in a transaction of its own connection and returns
// it open, holding whatever they locked.
func holdLocks(t *testing.T, dsn string, stmts ...string) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	locker, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { locker.Close(ctx) })
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return tx
}

// waitForLockWaits waits until n of db's sessions wait for a lock.
func waitForLockWaits(t *testing.T, db *postgres.DB, n int) {
	t.Helper()
	for range 500 {
		var waiting int
		if err := db.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity
				WHERE application_name = current_setting('application_name') AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d sessions came to wait for a lock", n)
}

// A rotation that waits for a rotator while every rotator waits on a stuck
// batch, and that is then stuck itself, gets its answer at the
// StatementTimeout from when it asked: its batch's deadline is its own,
// not the timeout counted again from when the batch began.
func TestRotationWaitsOneTimeoutBehindStuckBatches(t *testing.T) {
	ctx := context.Background()
	const timeout = time.Second
	dsn := pgtest.Schema(t, "tg", map[string]string{"application_name": "tollgate-batch-stuck"})
	db := open(t, dsn, postgres.Options{StatementTimeout: timeout})
	defer db.Close()
	grants(t, db, "g1", "g2")
	tx := holdLocks(t, dsn, `SELECT 1 FROM grants WHERE id = 'g2' FOR UPDATE`,
		`SELECT 1 FROM refresh_tokens WHERE hash = 'rt0-g1' FOR UPDATE`)
	defer tx.Rollback(ctx)
	// Each rotator in turn takes a rotation of the locked token and waits.
	var wg sync.WaitGroup
	for i := range postgres.Writers {
		r := first("g1")
		r.Next.Hash += string(rune('a' + i))
		wg.Go(func() { db.RotateRefreshToken(ctx, r.OldHash, r.ConsumedAt, r.Next) })
		waitForLockWaits(t, db, i+1)
	}
	// g2's rotation waits for a rotator for half its time, then for the
	// lock on its grant (its successor's foreign key).
	time.Sleep(timeout / 2)
	start := time.Now()
	err := db.RotateRefreshToken(ctx, "rt0-g2", time.Now(), successor("g2", 1))
	took := time.Since(start)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("rotation behind stuck rotators: err = %v, want ErrUnavailable", err)
	}
	if took > timeout*13/10 {
		t.Errorf("rotation behind stuck rotators took %v, want about the StatementTimeout (%v)", took, timeout)
	}
	wg.Wait()
}

// A rotation into a generation other than the one after the token's
// cannot find the token in its slot (rotateSQL): it fails at once and
// plainly, not as a token rotated meanwhile (retried up to the timeout,
// then ErrUnavailable), and changes nothing.
func TestRotationSkippingAGeneration(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{StatementTimeout: 2 * time.Second})
	defer db.Close()
	grants(t, db, "g1")
	start := time.Now()
	err := db.RotateRefreshToken(ctx, "rt0-g1", time.Now(), successor("g1", 2))
	if err == nil || errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("rotation from generation 0 into 2: err = %v, want a plain error", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("rotation from generation 0 into 2 took %v, want it refused at once", took)
	}
	if rt, _, err := db.RefreshToken(ctx, "g1", "rt0-g1"); err != nil || rt.Consumed() {
		t.Errorf("the token after the refused rotation: consumed %v, %v; want live", rt.Consumed(), err)
	}
}
