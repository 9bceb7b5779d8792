package keys

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// keyEvent is the audit trail's key_changed for a key added: why
// ("created": an algorithm's first key; "rotated"), which key (the reason
// names the kid and algorithm, public values), and who: the admin or
// operator ctx names, else Tollgate itself (start-up, the schedule). It is
// written with the key, in the same transaction (store.AddSigningKey).
func keyEvent(ctx context.Context, now time.Time, node, why, kid, alg string) store.Event {
	ev := audit.Event(ctx, now, node, store.EventKeyChanged)
	ev.Reason = why + " " + alg + " " + kid
	return audit.By(ctx, ev, audit.ActorSystem, "")
}
