package refresh

import (
	"context"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// SetTrail makes the service write the audit trail: its changes' events
// carry node, and the refusals it is told of (Refused) go to rec. Call it
// before the service serves requests. Without it the changes' events are
// still written (with no node), and refusals are not.
func (s *Service) SetTrail(rec audit.Recorder, node string) { s.trail, s.node = rec, node }

// revocationEvent is the event of a revocation by source (the By
// constants): the actor ctx names (the admin API, the command line), else
// the one the source implies.
func (s *Service) revocationEvent(ctx context.Context, by string) store.Event {
	ev := audit.Event(ctx, s.now(), s.node, store.EventRevoked)
	ev.Reason = by
	switch by {
	case ByClient:
		// RFC 7009: the authenticated client, which owns the grant.
		return audit.By(ctx, ev, audit.ActorClient, reqlog.ClientID(ctx))
	case ByLogout:
		return audit.By(ctx, ev, audit.ActorLogout, "")
	case ByOperator:
		return audit.By(ctx, ev, audit.ActorOperator, "")
	case ByUser:
		// The person on their account page; ctx names their subject.
		return audit.By(ctx, ev, audit.ActorUser, "")
	case ByAdmin:
		// The admin API and the console: the caller ctx names ("token",
		// the admin client, "console:<name>").
		return audit.By(ctx, ev, audit.ActorAdmin, "")
	}
	ev.Actor, ev.ActorID = audit.ActorSystem, "" // reuse, theft, code replay: Tollgate itself
	return ev
}

// Refused records that a refresh of a token of a known grant was refused,
// and why (an Outcome's name), for the audit trail. An unknown or forged
// token records nothing: a row per junk request would let anyone fill the
// trail. The token's grant is found by its name, or by its row for a
// legacy token: one read, on the refusal path only. The answer to the
// client never depends on it (audit.Refused). Refreshes that succeed are
// not recorded.
func (s *Service) Refused(ctx context.Context, presented, clientID, reason string) {
	if s.trail == nil {
		return
	}
	pt, ok := s.read(presented)
	if !ok {
		return
	}
	var g store.Grant
	var err error
	if pt.form == mint.NamedRefresh {
		g, _, err = s.store.GrantChain(ctx, pt.name.GrantID)
	} else {
		_, g, err = s.store.RefreshToken(ctx, "", pt.hash) // a legacy token names no grant
	}
	if err != nil {
		return // unknown, or the store failed: the refusal stands either way
	}
	ev := audit.Event(ctx, s.now(), s.node, store.EventRefreshRefused)
	ev.Reason, ev.GrantID, ev.ClientID, ev.Subject, ev.SessionID = reason, g.ID, g.ClientID, g.Subject, g.SessionID
	audit.Refused(ctx, s.trail, s.audit, audit.By(ctx, ev, audit.ActorClient, clientID))
}
