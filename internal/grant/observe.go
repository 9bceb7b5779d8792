package grant

import "github.com/tollgate-oidc/tollgate/internal/refresh"

// Observer hears what the token endpoint decided, for the operator's
// counters (internal/metrics implements it; this package imports no
// metrics library). Client ids are those of authenticated, configured
// clients. It is called on the request's goroutine and must not block.
type Observer interface {
	// TokenIssued: a token response was sent for grantType to clientID.
	TokenIssued(grantType, clientID string)
	// RefreshOutcome: how one refresh_token grant request ended, counted
	// once per request that presented a token.
	RefreshOutcome(clientID string, o refresh.Outcome)
}

func (h *Handler) refreshOutcome(clientID string, o refresh.Outcome) {
	if h.Observe != nil {
		h.Observe.RefreshOutcome(clientID, o)
	}
}
