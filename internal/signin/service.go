package signin

import (
	"context"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Store is the part of store.Store the sign-in flow reads and writes:
// parked requests, sessions, consents and the creation of codes. Grants
// are reached only through Revoker.
type Store interface {
	CreateAuthCode(ctx context.Context, c store.AuthCode) error
	CreateAuthRequest(ctx context.Context, r store.AuthRequest) error
	AuthRequest(ctx context.Context, id string) (store.AuthRequest, error)
	ConsumeAuthRequest(ctx context.Context, id string, at time.Time) (store.AuthRequest, error)
	CreateSession(ctx context.Context, s store.Session, ev store.Event) error
	Session(ctx context.Context, id string) (store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	SaveConsent(ctx context.Context, c store.Consent) error
	Consent(ctx context.Context, subject, clientID string) (store.Consent, error)
}

var _ Store = store.Store(nil)

// Users finds a session's user by subject: nil and no error when there is
// no such user.
type Users interface {
	UserBySubject(ctx context.Context, sub string) (*config.User, error)
}

// Revoker revokes grants on behalf of a source (refresh.Service, which
// counts and audits every revocation).
type Revoker interface {
	RevokeMatchingBy(ctx context.Context, f store.GrantFilter, by string) (int, error)
}

// Service runs the sign-in flow's rules.
type Service struct {
	Store   Store
	Users   Users
	Revoker Revoker
	Now     func() time.Time
	// Node is this node's name, for the audit trail's sign_in events.
	Node string
	// SessionLifetime is how long a browser session lasts (session.lifetime).
	SessionLifetime time.Duration
}
