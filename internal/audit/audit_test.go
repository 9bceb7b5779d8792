package audit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestActorFromContext: an event takes the actor its context names, and a
// call site's own actor only when the context names none (an admin
// revoking through the client's code path is still the admin).
func TestActorFromContext(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	ev := audit.By(context.Background(), audit.Event(context.Background(), now, "n1", store.EventRevoked), audit.ActorClient, "app")
	if ev.Actor != audit.ActorClient || ev.ActorID != "app" || ev.Node != "n1" || !ev.Time.Equal(now) || ev.Kind != store.EventRevoked {
		t.Errorf("no actor in ctx: %+v", ev)
	}
	ctx := audit.WithActor(context.Background(), audit.ActorAdmin, "ops-bot")
	ev = audit.By(ctx, audit.Event(ctx, now, "n1", store.EventRevoked), audit.ActorClient, "app")
	if ev.Actor != audit.ActorAdmin || ev.ActorID != "ops-bot" {
		t.Errorf("admin in ctx: actor %q %q, want admin ops-bot", ev.Actor, ev.ActorID)
	}
}

type failing struct{}

func (failing) RecordEvent(context.Context, store.Event) error { return errors.New("disk full") }

// TestRefusedLogsAFailure: a refusal's event that cannot be written is a
// warning, not an error the caller sees.
func TestRefusedLogsAFailure(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	audit.Refused(context.Background(), failing{}, log, store.Event{Kind: store.EventRefreshRefused, Reason: "expired_idle"})
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "disk full") {
		t.Errorf("log %q, want a warning with the cause", buf.String())
	}
	audit.Refused(context.Background(), nil, log, store.Event{Kind: store.EventRefreshRefused}) // no trail: nothing, no panic
}
