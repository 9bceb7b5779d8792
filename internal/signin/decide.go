package signin

import (
	"context"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Decision is what a request needs next, with the browser's session and
// its user when there is one.
type Decision struct {
	Step    authorize.Step
	Session *store.Session
	User    *config.User
}

// Decide is the one place the browser flow asks what a request needs next:
// for a fresh request (rec nil) and at every step after a parked one
// (resume after the login form, the consent page's GET and POST). Each step
// decides afresh with the browser's current session (cookie) and remembered
// consent, so no step can be reached out of order: a consent page opened
// directly cannot stand in for the sign-in that prompt=login or max_age
// asks for (OIDC Core §3.1.2.1, §3.1.2.3).
//
// A parked request was received at rec.CreatedAt and its user has been sent
// on to a page (Resumed): a sign-in at or after that moment satisfies
// prompt=login and max_age (authorize.Next).
func (s *Service) Decide(ctx context.Context, cookie string, req authorize.Request, c *config.Client, rec *store.AuthRequest) (Decision, error) {
	sess, user, err := s.Session(ctx, cookie)
	if err != nil {
		return Decision{}, oautherr.Server(err)
	}
	var consent *store.Consent
	if sess != nil {
		if consent, err = s.Consent(ctx, sess.Subject, c.ID); err != nil {
			return Decision{}, oautherr.Server(err)
		}
	}
	now := s.Now()
	sit := authorize.Situation{Session: sess, Consent: consent, ParkedAt: now, Now: now}
	if rec != nil {
		sit.ParkedAt, sit.Resumed = rec.CreatedAt, true
	}
	step, err := authorize.Next(req, c, sit)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Step: step, Session: sess, User: user}, nil
}
