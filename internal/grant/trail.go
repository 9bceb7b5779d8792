package grant

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The ways in a sign-in comes (Attempt.Via).
const (
	ViaLoginPage     = "login_page"
	ViaPasswordGrant = "password_grant"
)

// SetTrail makes the checks write the audit trail: a failed sign-in (both
// ways in) and a password grant's sign-in, to rec, as node. (The login
// page's sign-in is written with its session, in the same transaction:
// oauth.) Call it before serving; without it nothing is recorded.
func (p *Passwords) SetTrail(rec audit.Recorder, node string) { p.trail, p.node = rec, node }

// signInEvent records a sign-in (failed when reason is set) made at at.
// The subject is recorded only for a user that exists: a username that
// names nobody may be a password typed in the wrong field, so it never is.
func (p *Passwords) signInEvent(ctx context.Context, a Attempt, u *config.User, reason string, at time.Time) {
	if p.trail == nil {
		return
	}
	kind := store.EventSignIn
	if reason != "" {
		kind = store.EventSignInFailed
	}
	ev := audit.Event(ctx, at, p.node, kind)
	ev.Reason, ev.ClientID = reason, a.ClientID
	if u != nil {
		ev.Subject = u.Subject
	}
	audit.Refused(ctx, p.trail, p.log, audit.By(ctx, ev, audit.ActorUser, ev.Subject))
}
