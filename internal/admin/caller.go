package admin

import (
	"context"
	"net/http"
)

// The kinds of caller the admin API knows.
const (
	// CallerToken: the bearer token of TOLLGATE_ADMIN_TOKEN or admin.token_file.
	CallerToken = "token"
	// CallerClient: a client whose access token carries the tollgate:admin scope.
	CallerClient = "client"
	// CallerOperator: the command line, working on the store directly
	// (--config) under the operator's own account.
	CallerOperator = "operator"
)

// Caller is who made an admin request, for the audit trail ("revoked by
// admin client ops-bot") and the log.
type Caller struct {
	Kind string // CallerToken, CallerClient or CallerOperator
	ID   string // the client id, or the operator's account name
}

type callerKey struct{}

// WithCaller returns ctx carrying who.
func WithCaller(ctx context.Context, who Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, who)
}

// CallerFrom returns the caller of the admin request ctx belongs to; the
// zero Caller outside one.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// Trusted authorizes every request as who. Only the command line uses it,
// in process, for its --config mode: the operator already holds the
// configuration and the store, so there is nothing to check; it never
// guards a listener.
type Trusted struct{ Who Caller }

// Authorize implements Authorizer.
func (t Trusted) Authorize(*http.Request) (Caller, bool) { return t.Who, true }
