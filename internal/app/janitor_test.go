package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// testClock is the injected clock the tests move by hand.
type testClock = testclock.Clock

// openNode opens one node of cfg with a name, a clock and a sweep interval.
func openNode(t *testing.T, cfg *config.Config, id string, clk *testClock, every time.Duration) *App {
	t.Helper()
	a, err := Open(context.Background(), cfg, Options{NodeID: id, Now: clk.Now, SweepEvery: every})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// parkExpired stores a parked request that expired at `at`, for a sweep to find.
func parkExpired(t *testing.T, st store.Store, id string, at time.Time) {
	t.Helper()
	if err := st.CreateAuthRequest(context.Background(), store.AuthRequest{
		ID: id, ClientID: "c", Params: []byte("{}"), CreatedAt: at.Add(-time.Minute), ExpiresAt: at,
	}); err != nil {
		t.Fatal(err)
	}
}

// TestJanitorLease: two nodes on one SQLite file. At each sweep interval
// exactly one of them sweeps (the lease holder, which renews it); when the
// holder stops renewing, the lease moves to the other once it has lapsed,
// and not before.
func TestJanitorLease(t *testing.T) {
	t.Setenv(EnvSystemSecret, "")
	cfg := testConfig(t, t.TempDir())
	clk := testclock.At(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	const every = time.Minute
	a := openNode(t, cfg, "node-a", clk, every)
	b := openNode(t, cfg, "node-b", clk, every)
	ctx := context.Background()

	sweep := func(n *App) bool {
		t.Helper()
		swept, _, err := n.SweepOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return swept
	}
	// Two intervals with both nodes alive: node a took the lease first and
	// keeps it; node b never sweeps.
	for i := range 3 {
		parkExpired(t, a.Store, "expired-"+string(rune('a'+i)), clk.Now().Add(-time.Second))
		sa, sb := sweep(a), sweep(b)
		if !sa || sb {
			t.Fatalf("interval %d: a swept %v, b swept %v; want only a", i, sa, sb)
		}
		if _, err := b.Store.AuthRequest(ctx, "expired-"+string(rune('a'+i))); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("interval %d: the holder's sweep left an expired row (%v)", i, err)
		}
		clk.Add(every)
	}
	// Node a stops (or is merely late). Its lease outlasts a renewal or
	// two that come late, so node b does not sweep one or two intervals
	// after a's last renewal ...
	for i := 1; i <= 2; i++ {
		if sweep(b) {
			t.Fatalf("b swept %d interval(s) after a's last renewal, inside a's lease", i)
		}
		clk.Add(every)
	}
	// ... but takes over once the lease has lapsed, within a few intervals.
	clk.Add(every)
	if !sweep(b) {
		t.Fatal("b did not take over 4 intervals after a's last renewal")
	}
	// Node a comes back: b holds the lease now, so a waits.
	if sweep(a) {
		t.Error("a swept while b held the lease")
	}
}

// TestServeRunsJanitor: a serving node sweeps on its schedule by itself.
func TestServeRunsJanitor(t *testing.T) {
	a := servedWithExpired(t, 20*time.Millisecond)
	waitGone(t, a, "expired", "after 10 s of serving")
}

// TestServeSweepsAtStart: a node sweeps as it starts, not one interval
// later, so a node restarted more often than its interval still sweeps.
func TestServeSweepsAtStart(t *testing.T) {
	a := servedWithExpired(t, time.Hour)
	waitGone(t, a, "expired", "10 s after start, with an hour's interval")
	if _, err := a.Store.AuthRequest(context.Background(), "live"); err != nil {
		t.Errorf("the first sweep took a live row too: %v", err)
	}
}

// servedWithExpired opens an app that sweeps every interval, parks an
// expired authorization request ("expired") and a live one ("live") before
// it serves, and serves it until the test ends.
func servedWithExpired(t *testing.T, every time.Duration) *App {
	t.Helper()
	t.Setenv(EnvSystemSecret, "")
	a, err := Open(context.Background(), testConfig(t, t.TempDir()), Options{SweepEvery: every})
	if err != nil {
		t.Fatal(err)
	}
	parkExpired(t, a.Store, "expired", time.Now().Add(-time.Second))
	parkExpired(t, a.Store, "live", time.Now().Add(time.Hour))
	serveApp(t, a)
	return a
}

// waitGone polls for the parked request id until the store no longer has
// it, and fails the test, saying when, if it is still there after 10 s.
func waitGone(t *testing.T, a *App, id, when string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := a.Store.AuthRequest(context.Background(), id)
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s row is still there %s (%v)", id, when, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNodeIDs: node ids are host-pid-random and differ between nodes of
// one process.
func TestNodeIDs(t *testing.T) {
	a, b := NewNodeID(), NewNodeID()
	if a == b || len(a) < 12 {
		t.Errorf("node ids %q and %q", a, b)
	}
}
