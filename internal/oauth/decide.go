package oauth

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// decide is the one place the browser flow asks what a request needs next:
// the authorize endpoint for a fresh request (rec nil) and every step after
// a parked one (resume after the login form, the consent page's GET and
// POST) for rec. Each step calls it afresh with the browser's current
// session and remembered consent, so no step can be reached out of order:
// a consent page opened directly cannot stand in for the sign-in that
// prompt=login or max_age asks for (OIDC Core §3.1.2.1, §3.1.2.3).
//
// A parked request was received at rec.CreatedAt and its user has been sent
// on to a page (Resumed): a sign-in at or after that moment satisfies
// prompt=login and max_age (authorize.Next).
func (s *Server) decide(r *http.Request, req authorize.Request, c *config.Client, rec *store.AuthRequest) (authorize.Step, *store.Session, *config.User, error) {
	sess, user, err := s.currentSession(r)
	if err != nil {
		return 0, nil, nil, oautherr.Server(err)
	}
	var consent *store.Consent
	if sess != nil {
		cons, err := s.Store.Consent(r.Context(), sess.Subject, c.ID)
		switch {
		case err == nil && (cons.ExpiresAt.IsZero() || s.Now().Before(cons.ExpiresAt)):
			consent = &cons
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return 0, nil, nil, oautherr.Server(err)
		}
	}
	now := s.Now()
	sit := authorize.Situation{Session: sess, Consent: consent, ParkedAt: now, Now: now}
	if rec != nil {
		sit.ParkedAt, sit.Resumed = rec.CreatedAt, true
	}
	step, err := authorize.Next(req, c, sit)
	if err != nil {
		return 0, nil, nil, err
	}
	return step, sess, user, nil
}

// parkedRequest loads a live parked request and its client for a page.
func (s *Server) parkedRequest(r *http.Request, handle string) (authorize.Request, *config.Client, *store.AuthRequest, error) {
	req, rec, err := s.parked(r.Context(), handle)
	if err != nil {
		return req, nil, nil, err
	}
	c, ok := s.Clients.Client(req.ClientID)
	if !ok { // the client was removed from the configuration meanwhile
		return req, nil, nil, errStale
	}
	return req, c, &rec, nil
}

// stepPath is the page of a step that needs the user.
func (s *Server) stepPath(step authorize.Step) string {
	switch step {
	case authorize.StepLogin:
		return s.prefix + PathLogin
	case authorize.StepConsent:
		return s.prefix + PathConsent
	default:
		return s.prefix + PathResume
	}
}

// sendTo sends the browser to the page of step for a parked request.
func (s *Server) sendTo(w http.ResponseWriter, r *http.Request, step authorize.Step, handle string) error {
	http.Redirect(w, r, s.stepPath(step)+"?request="+url.QueryEscape(handle), http.StatusSeeOther)
	return nil
}
