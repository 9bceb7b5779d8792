package refresh

import (
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// Domain errors. The token endpoint maps each to invalid_grant (RFC 6749
// §5.2); introspection maps each to {"active": false}.
var (
	ErrUnknown     = errors.New("refresh token is unknown")
	ErrWrongClient = errors.New("refresh token was issued to another client")
	ErrExpired     = errors.New("refresh token has expired")
	ErrRevoked     = errors.New("refresh token has been revoked")
	ErrReused      = errors.New("refresh token was already used; its grant is now revoked")
	// ErrStolen: a consumed token came back within the grace window
	// without proof of the key its holder proved (signal.go keySignal).
	ErrStolen = errors.New("refresh token was presented again without its holder's key; its grant is now revoked")

	// The two expiries, each an ErrExpired (errors.Is), told apart for the
	// metrics (OutcomeOf): the token unused past its idle lifetime, or its
	// grant past its absolute one.
	errExpiredIdle = fmt.Errorf("%w (unused for longer than its idle lifetime)", ErrExpired)
	errExpiredMax  = fmt.Errorf("%w (its grant is past its absolute lifetime)", ErrExpired)
)

// IsRejection reports whether err says a token is not usable (one of the
// domain errors above), as opposed to a failure of the store.
func IsRejection(err error) bool {
	for _, e := range [...]error{ErrUnknown, ErrWrongClient, ErrExpired, ErrRevoked, ErrReused, ErrStolen} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Policy is the lifecycle settings for one client.
type Policy struct {
	Rotation     string        // config.RotationOneTime or config.RotationReuse
	IdleLifetime time.Duration // sliding window: unused this long -> expired
	MaxLifetime  time.Duration // absolute cap from the original sign-in
	ReuseGrace   time.Duration // how long a consumed token may be retried
}

// PolicyFor returns the policy in a client's effective token settings.
func PolicyFor(c *config.Client) Policy {
	r := c.Tokens.RefreshToken
	return Policy{Rotation: r.Rotation, IdleLifetime: r.IdleLifetime, MaxLifetime: r.MaxLifetime, ReuseGrace: r.ReuseGrace}
}

// idleExpiry is when a token used at now expires if unused: now plus the
// idle lifetime, never beyond the grant's absolute cap.
func (p Policy) idleExpiry(now, grantExpiry time.Time) time.Time {
	e := now.Add(p.IdleLifetime)
	if e.After(grantExpiry) {
		return grantExpiry
	}
	return e
}

// withinGrace reports whether a token consumed at consumedAt may still be
// retried at now. The window is inclusive at its end.
func (p Policy) withinGrace(consumedAt, now time.Time) bool {
	return p.ReuseGrace > 0 && !now.After(consumedAt.Add(p.ReuseGrace))
}
