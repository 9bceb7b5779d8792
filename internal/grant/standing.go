package grant

import (
	"context"
	"errors"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Why something already issued no longer stands. The configuration can
// change under a live token (an operator disables a user, removes a client,
// turns off allow_offline_access and restarts), so these are asked at every
// use, not only at issue.
var (
	ErrUserInactive    = errors.New("the user no longer exists or is disabled")
	ErrClientGone      = errors.New("the client is no longer registered")
	ErrNoOfflineAccess = errors.New("the client is no longer configured for refresh tokens")
)

// This file is the one rule for "may what was issued still be used". The
// refresh grant, the userinfo endpoint and introspection all call it, so
// introspection can never say active:true for a token the refresh grant or
// userinfo would refuse (RFC 7662 §2.2: active means the token is usable
// now).

// ActiveUser returns the user whose sub is sub if they exist and are not
// disabled, else ErrUserInactive, or the lookup's own error when the
// store could not tell (not the user's fault: the caller answers 503).
func ActiveUser(ctx context.Context, users Users, sub string) (*config.User, error) {
	u, err := users.UserBySubject(ctx, sub)
	if err != nil {
		return nil, err
	}
	if u == nil || u.Disabled {
		return nil, ErrUserInactive
	}
	return u, nil
}

// MayRefresh is HelseID's rule for refresh tokens: only a registered
// confidential client configured for them (allow_offline_access and the
// refresh_token grant) may use one, and a client whose configuration changed
// loses the right at once. c is the client as registered now, nil if gone.
func MayRefresh(c *config.Client) error {
	switch {
	case c == nil:
		return ErrClientGone
	case c.Type != config.ClientConfidential || !c.AllowOfflineAccess || !c.HasGrant(TypeRefreshToken):
		return ErrNoOfflineAccess
	}
	return nil
}

// RefreshStanding tells whether the refresh tokens of grant g may still be
// used: its client (c, as registered now, nil if gone) may refresh, and its
// user is active. It returns that user.
func RefreshStanding(ctx context.Context, c *config.Client, users Users, g store.Grant) (*config.User, error) {
	if err := MayRefresh(c); err != nil {
		return nil, err
	}
	return ActiveUser(ctx, users, g.Subject)
}

// AccessStanding tells whether an access token issued to client c (as
// registered now, nil if gone) for subject may still be used. A client's
// own token (client credentials: sub is the client id, which no user's
// subject may equal, see config) needs only its client; a user's token also
// needs an active user, whom it returns.
func AccessStanding(ctx context.Context, c *config.Client, users Users, subject string) (*config.User, error) {
	if c == nil {
		return nil, ErrClientGone
	}
	if subject == c.ID {
		return nil, nil
	}
	return ActiveUser(ctx, users, subject)
}

// NoLongerStands reports whether err is one of the reasons above (the
// user, the client or its right to refresh is gone), as opposed to a
// lookup that failed (a store that could not tell).
func NoLongerStands(err error) bool {
	return errors.Is(err, ErrUserInactive) || errors.Is(err, ErrClientGone) || errors.Is(err, ErrNoOfflineAccess)
}

// standingError is the token endpoint's answer when a grant no longer
// stands (RFC 6749 §5.2).
func standingError(err error, what string) error {
	switch {
	case errors.Is(err, ErrUserInactive):
		return oautherr.New(oautherr.InvalidGrant, "the user of this %s no longer exists or is disabled; the user must sign in again", what)
	case errors.Is(err, ErrClientGone), errors.Is(err, ErrNoOfflineAccess):
		return oautherr.New(oautherr.UnauthorizedClient, "the client is not configured for refresh tokens (allow_offline_access)")
	}
	return oautherr.As(err)
}
