package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// TestJanitorAuditRetention: a sweep deletes the events older than
// audit.retention and keeps the rest.
func TestJanitorAuditRetention(t *testing.T) {
	t.Setenv(EnvSystemSecret, "")
	cfg := testConfig(t, t.TempDir())
	cfg.Audit.Retention = 30 * 24 * time.Hour
	clk := testclock.At(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
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

// TestJanitorDeletesGoneKeys: a sweep deletes the rows of signing keys that
// are gone (retired past the retention), and writes key_changed for each.
func TestJanitorDeletesGoneKeys(t *testing.T) {
	t.Setenv(EnvSystemSecret, "")
	cfg := testConfig(t, t.TempDir())
	clk := testclock.At(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	a := openNode(t, cfg, "node-a", clk, time.Minute)
	ctx := context.Background()
	before, err := a.Store.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Keys.Rotate(ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	clk.Add(24 * time.Hour) // the old ES256 key retired, then gone
	if swept, _, err := a.SweepOnce(ctx); err != nil || !swept {
		t.Fatalf("SweepOnce = %v, %v", swept, err)
	}
	after, err := a.Store.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d keys before the rotation, %d after it and the sweep; want the same (one added, one deleted)", len(before), len(after))
	}
	evs, _, err := a.Store.Events(ctx, store.EventFilter{Kind: store.EventKeyChanged})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || !strings.HasPrefix(evs[0].Reason, "deleted ES256 ") {
		t.Fatalf("newest key_changed %+v, want the deletion", evs)
	}
}
