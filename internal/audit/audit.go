package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The actors of the trail (store.Event.Actor).
const (
	ActorClient   = "client"   // a client, on its own grants (RFC 7009 revocation)
	ActorAdmin    = "admin"    // the admin API: ActorID is "token" or the admin client's id
	ActorOperator = "operator" // the command line on the store (--config, tollgate revoke)
	ActorUser     = "user"     // the user, signing in or out
	ActorLogout   = "logout"   // an end-session or back-channel logout
	ActorSystem   = "system"   // Tollgate itself: reuse detection, code replay, key rotation
)

type actorKey struct{}

type actor struct{ kind, id string }

// WithActor returns ctx saying who acts in it: the admin server sets it from
// its caller, the command line to ActorOperator. An event built from ctx
// with no actor of its own takes this one.
func WithActor(ctx context.Context, kind, id string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor{kind, id})
}

// Actor returns the actor WithActor put in ctx, or "", "".
func Actor(ctx context.Context) (kind, id string) {
	a, _ := ctx.Value(actorKey{}).(actor)
	return a.kind, a.id
}

// Event returns an event of kind at now, with the node, the request's id,
// remote address and user agent from ctx, and ctx's actor (if any).
func Event(ctx context.Context, now time.Time, node, kind string) store.Event {
	ev := store.Event{Time: now, Kind: kind, Node: node, RequestID: reqlog.RequestID(ctx),
		RemoteAddr: reqlog.RemoteAddr(ctx), UserAgent: reqlog.UserAgent(ctx)}
	ev.Actor, ev.ActorID = Actor(ctx)
	return ev
}

// By returns ev with actor and id as its actor, unless ctx names one
// (an admin or operator acting through the same code path wins).
func By(ctx context.Context, ev store.Event, kind, id string) store.Event {
	if ev.Actor == "" {
		ev.Actor, ev.ActorID = kind, id
	}
	return ev
}

// Recorder is the part of the store a refusal writes to.
type Recorder interface {
	RecordEvent(ctx context.Context, ev store.Event) error
}

// Refused records an event that changes nothing (a refused refresh, a
// failed sign-in). The answer the client gets does not depend on it: a
// failure is logged at warn and dropped.
func Refused(ctx context.Context, r Recorder, log *slog.Logger, ev store.Event) {
	if r == nil {
		return
	}
	if err := r.RecordEvent(ctx, ev); err != nil && log != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "audit: event not recorded", slog.String("kind", ev.Kind),
			slog.String("reason", ev.Reason), slog.String("error", err.Error()))
	}
}
