package admin

import (
	"context"

	"github.com/tollgate-oidc/tollgate/internal/audit"
)

// withActor returns ctx naming c as the audit trail's actor: "admin" with
// "token" or the admin client's id, or "operator" with the account name.
// The policy packages cannot import admin; they read audit.Actor.
func (c Caller) withActor(ctx context.Context) context.Context {
	switch c.Kind {
	case CallerOperator:
		return audit.WithActor(ctx, audit.ActorOperator, c.ID)
	case CallerToken:
		return audit.WithActor(ctx, audit.ActorAdmin, CallerToken)
	}
	return audit.WithActor(ctx, audit.ActorAdmin, c.ID)
}
