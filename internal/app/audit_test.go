package app

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestJanitorAuditRetention: a sweep deletes the events older than
// audit.retention and keeps the rest.
func TestJanitorAuditRetention(t *testing.T) {
	t.Setenv(EnvSystemSecret, "")
	cfg := testConfig(t, t.TempDir())
	cfg.Audit.Retention = 30 * 24 * time.Hour
	clk := &testClock{t: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	a := openNode(t, cfg, "node-a", clk, time.Minute)
	ctx := context.Background()
	for _, c := range []struct {
		id  string
		age time.Duration
	}{{"old", 31 * 24 * time.Hour}, {"edge", 30*24*time.Hour - time.Second}, {"new", time.Hour}} {
		ev := store.Event{Kind: store.EventSignInFailed, Time: clk.Now().Add(-c.age), ClientID: "janitor-test", GrantID: c.id}
		if err := a.Store.RecordEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if swept, _, err := a.SweepOnce(ctx); err != nil || !swept {
		t.Fatalf("SweepOnce = %v, %v", swept, err)
	}
	evs, _, err := a.Store.Events(ctx, store.EventFilter{ClientID: "janitor-test"})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range evs {
		left = append(left, e.GrantID)
	}
	if len(left) != 2 || left[0] != "new" || left[1] != "edge" {
		t.Fatalf("events left %v, want [new edge]: only the one past 30 days goes", left)
	}
}
