package grant

import (
	"context"
	"errors"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// password is the resource owner password credentials grant (RFC 6749 §4.3).
func (h *Handler) password(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	if c.Type != config.ClientConfidential {
		return nil, oautherr.New(oautherr.UnauthorizedClient, "the password grant is only for confidential clients")
	}
	if req.Username == "" || req.Password == "" {
		return nil, oautherr.New(oautherr.InvalidRequest, "the password grant needs both the username and the password parameters")
	}
	scopes, err := requestedScope(c, req)
	if err != nil {
		return nil, err
	}
	// RFC 8707 §2.2: the resource asked for becomes the grant's, checked
	// before the password costs anything.
	tgt, err := forResource(c, req, scopes)
	if err != nil {
		return nil, err
	}
	checks, err := h.PasswordChecks()
	if err != nil {
		return nil, oautherr.Server(err)
	}
	attempt := Attempt{Username: req.Username, Password: req.Password,
		RemoteIP: req.RemoteIP, ClientID: c.ID, Via: ViaPasswordGrant}
	u, err := checks.Check(ctx, attempt)
	var th *Throttled
	switch {
	case errors.As(err, &th):
		return nil, ThrottledError(th)
	case errors.Is(err, ErrBadCredentials):
		// RFC 6749 §5.2 invalid_grant: the resource owner credentials are invalid.
		return nil, oautherr.New(oautherr.InvalidGrant, "the username or password is incorrect")
	case err != nil:
		return nil, oautherr.Server(err)
	}
	checked := h.Now()
	resp, err := h.respond(ctx, issue{
		client: c, grantType: TypePassword, subject: u.Subject, user: u, scopes: scopes,
		// auth_time is when the password was checked: now.
		authTime: checked, amr: []string{"pwd"}, proof: req.proof(),
		target: tgt, resources: resourceURIs(tgt),
	}, nil)
	if err != nil {
		return nil, err
	}
	// The sign-in goes on the trail after its grant, not before: with the
	// store away, the grant's write is the one store call the answer waits
	// for (503 within one statement timeout, not two), and a sign-in that
	// issued nothing is not recorded as one.
	checks.signInEvent(ctx, attempt, u, "", checked)
	return resp, nil
}

// ThrottledError is the token endpoint's answer to a throttled sign-in:
// HTTP 429 (RFC 6585 §4) with Retry-After, and the error code
// temporarily_unavailable. RFC 6749 §5.2 has no code for "try again
// later"; temporarily_unavailable is RFC 6749's own code for exactly that
// (§4.1.2.1), which RFC 9126 §2.3 also allows at a back-channel endpoint.
// invalid_grant would tell the client the credentials are wrong, which was
// never checked; slow_down (RFC 8628 §3.5) means "poll the device
// endpoint less often" and belongs to the device flow. The answer is the
// same whether or not the username exists.
func ThrottledError(t *Throttled) *oautherr.Error {
	if t.Busy {
		return oautherr.TooManyRequests("the server is busy checking other sign-ins", t.RetryAfter)
	}
	return oautherr.TooManyRequests("too many sign-in attempts for this username or from this address", t.RetryAfter)
}
