package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// JanitorLease is the store lease (store.TakeLease) whose holder sweeps.
const JanitorLease = "janitor"

// DefaultSweepEvery is how often a node's janitor runs. Parked
// authorization requests live 15 minutes and pushed ones 60 seconds, and
// the bound on what a flood can leave in the store (issue 10, flaw 3)
// counts on them going soon after they expire.
const DefaultSweepEvery = time.Minute

// leaseTurns is the janitor lease's length in sweep intervals: the holder
// renews it at every sweep, so it survives one late renewal, and when the
// holder stops (it died, or was stopped) another node takes over within
// leaseTurns+1 intervals.
const leaseTurns = 3

// sweepPlan is how often the background work of a node runs.
type sweepPlan struct {
	every     time.Duration // janitor
	lease     time.Duration // janitor lease, leaseTurns * every
	keysEvery time.Duration // signing-key reload
}

func newSweepPlan(every, keysEvery time.Duration) sweepPlan {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	if keysEvery <= 0 {
		keysEvery = keys.ReloadEvery
	}
	return sweepPlan{every: every, lease: leaseTurns * every, keysEvery: keysEvery}
}

// SweepOnce is one turn of the in-process janitor: if this node holds (or
// can take) the janitor lease, it renews it and deletes expired records;
// otherwise another node sweeps and this one does nothing. The audit
// trail's events older than audit.retention go in the same turn. It reports
// whether this node swept, and how many rows went.
//
// Every node runs it on a schedule, so the sweeping goes on when any node
// stops, yet only one node at a time does the work: a cluster of ten does
// not run ten sweeps of one table. Deleting is safe to overlap anyway
// (store.DeleteExpired is small batches, each its own short transaction,
// so it never holds a lock that stalls a refresh), and the lease only
// saves the duplicate work.
func (a *App) SweepOnce(ctx context.Context) (swept bool, n int, err error) {
	held, err := a.Store.TakeLease(ctx, JanitorLease, a.NodeID, a.now(), a.sweep.lease)
	if err != nil || !held {
		return false, 0, err
	}
	n, err = a.Store.DeleteExpired(ctx, a.now())
	if err != nil {
		return true, n, err
	}
	m, err := a.Store.DeleteEvents(ctx, a.now().Add(-a.Config.Audit.Retention)) // audit.retention
	if err != nil {
		return true, n + m, err
	}
	gone, err := a.Keys.DeleteGone(ctx) // signing keys no token can need any more
	return true, n + m + len(gone), err
}

// runJanitor calls SweepOnce as the node starts and then every sweep
// interval until ctx ends. The first turn does not wait an interval: a
// node restarted more often than that (a crash loop, a rolling deploy, a
// load test's servers of a few seconds each) would otherwise never sweep,
// and what expired while no node ran would wait a minute more.
func (a *App) runJanitor(ctx context.Context) {
	t := time.NewTicker(a.sweep.every)
	defer t.Stop()
	holding := false
	for {
		swept, n, err := a.SweepOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.Log.Warn("janitor: sweeping expired records failed", "error", err)
		case swept && !holding:
			a.Log.Info("janitor: this node now sweeps expired records", slog.String("lease", JanitorLease))
		case !swept && holding && err == nil:
			a.Log.Info("janitor: another node now sweeps expired records")
		}
		if err == nil {
			holding = swept
		}
		if n > 0 {
			a.Log.Debug("janitor: swept expired records", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
