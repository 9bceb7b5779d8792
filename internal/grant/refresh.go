package grant

import (
	"context"
	"errors"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// refreshToken is the refresh token grant (RFC 6749 §6): new access and ID
// tokens without the user signing in again.
func (h *Handler) refreshToken(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	if req.RefreshToken == "" {
		return nil, oautherr.New(oautherr.InvalidRequest, "the refresh_token parameter is missing")
	}
	// HelseID: only a client configured for refresh tokens may use one; a
	// client whose configuration changed since loses the right at once.
	// Asked before the token is looked at, so the answer names the client's
	// configuration, not the token.
	if MayRefresh(c) != nil {
		h.refreshOutcome(c.ID, refresh.OutcomeClientNotAllowed)
		h.Refresh.Refused(ctx, req.RefreshToken, c.ID, refresh.OutcomeClientNotAllowed.String())
		return nil, oautherr.New(oautherr.UnauthorizedClient, "client %q is not configured for refresh tokens (allow_offline_access)", c.ID)
	}
	// RFC 8707 §2.2: the resource is checked against the client here, and
	// against the grant in check, before the token is rotated.
	res, err := pickResource(c, req.Resources)
	if err != nil {
		h.refreshOutcome(c.ID, refresh.OutcomeRefused)
		return nil, err
	}
	// What check found, in one variable: check escapes to the lifecycle,
	// so each variable it writes is a heap allocation of its own.
	var got struct {
		user    *config.User
		scopes  []string
		tgt     target
		refused refresh.Outcome // why check refused, when it did
	}
	got.refused = refresh.OutcomeRefused
	// check runs before anything changes, a retry within the grace window
	// included. With the client's part of RefreshStanding asked above, what
	// is left of it (and of what introspection asks) is the user.
	check := func(g store.Grant) error {
		u, err := ActiveUser(ctx, h.Users, g.Subject)
		if err != nil {
			got.refused = refresh.OutcomeError // the store could not say
			if errors.Is(err, ErrUserInactive) {
				got.refused = refresh.OutcomeUserDisabled
			}
			return standingError(err, "refresh token")
		}
		// RFC 6749 §6: the scope may be narrowed for the new access token.
		// The grant keeps its scope, so a new refresh token has the scope
		// of the one presented ("MUST be identical"), offline_access
		// included, even when the access token's scope leaves it out.
		s, err := narrowScope(c, g.Scopes, req)
		if err != nil {
			return err
		}
		// Any one resource granted at sign-in, one at a time; never one
		// outside the grant (pickResource refused one the client has lost
		// since). A refusal here leaves the token unused.
		if err := withinGrant(res, g.Resources, "refresh token's grant"); err != nil {
			return err
		}
		ts, err := resourceScopes(res, s, req.ScopeGiven)
		if err != nil {
			return err
		}
		got.user, got.scopes, got.tgt = u, s, target{resource: res, scopes: ts}
		return nil
	}
	iss, err := h.Refresh.Refresh(ctx, req.RefreshToken, c.ID, req.proof(), refresh.PolicyFor(c), check)
	if h.Observe != nil || err != nil {
		o := refresh.OutcomeOf(iss, err)
		// Refresh returns check's refusal as is: an *oautherr.Error, where
		// a store failure is a wrapped error.
		if _, ok := err.(*oautherr.Error); ok && o == refresh.OutcomeError {
			o = got.refused
		}
		if h.Observe != nil {
			h.Observe.RefreshOutcome(c.ID, o)
		}
		if err != nil {
			if trailed(o) {
				h.Refresh.Refused(ctx, req.RefreshToken, c.ID, o.String())
			}
			return nil, RefreshError(err)
		}
	}
	g := iss.Grant
	return h.respond(ctx, issue{
		client: c, grantType: TypeRefreshToken, subject: g.Subject, user: got.user, scopes: got.scopes,
		// OIDC Core §12.2: the original auth_time, no nonce.
		authTime: g.AuthTime, sessionID: g.SessionID, amr: g.AMR, target: got.tgt,
		// A proof binds the new access token, whether or not the grant is bound.
		proof: req.proof(),
	}, &iss)
}

// trailed reports whether a refusal goes to the audit trail as
// refresh_refused (issue 8: "refresh refused (and why)"). Not an unknown
// token (anyone can send junk), a store failure, or a request refused for
// its own parameters (scope, resource); not reuse or theft either, whose
// revocation the trail records as reuse_detected, in its transaction.
func trailed(o refresh.Outcome) bool {
	switch o {
	case refresh.OutcomeExpiredIdle, refresh.OutcomeExpiredMax, refresh.OutcomeRevoked, refresh.OutcomeWrongClient,
		refresh.OutcomeUserDisabled, refresh.OutcomeClientNotAllowed, refresh.OutcomeDPoP:
		return true
	}
	return false
}

// refreshErrors describes each lifecycle sentinel for the client developer.
var refreshErrors = []struct {
	err  error
	desc string
}{
	{refresh.ErrUnknown, "the refresh token is invalid"},
	// The same words as for an unknown token: saying "another client's"
	// would confirm to whoever holds it that the token is live. The
	// lifecycle's audit log keeps the real reason.
	{refresh.ErrWrongClient, "the refresh token is invalid"},
	{refresh.ErrExpired, "the refresh token has expired; the user must sign in again"},
	{refresh.ErrRevoked, "the refresh token has been revoked; the user must sign in again"},
	{refresh.ErrReused, "the refresh token was already used; every token of its grant is now revoked and the user must sign in again"},
	// Theft inside the grace window (refresh/signal.go): the words say what
	// the request lacked, not which key the server expected.
	{refresh.ErrStolen, "the refresh token was already used, and this request did not prove the key of the request that used it; every token of its grant is now revoked and the user must sign in again"},
	// RFC 9449 §5: a DPoP-bound refresh token needs a proof by its key.
	{refresh.ErrProofRequired, "the refresh token is bound to a DPoP key; send a DPoP proof signed by that key (RFC 9449 §5)"},
	{refresh.ErrWrongKey, "the refresh token is bound to another DPoP key; sign the DPoP proof with the key the grant started with (RFC 9449 §5)"},
}

// RefreshError maps a lifecycle error to the token endpoint's answer: every
// domain sentinel is invalid_grant (RFC 6749 §5.2); an *oautherr.Error passes
// through; anything else is server_error.
func RefreshError(err error) error {
	for _, e := range refreshErrors {
		if errors.Is(err, e.err) {
			return oautherr.New(oautherr.InvalidGrant, "%s", e.desc)
		}
	}
	return oautherr.As(err)
}
