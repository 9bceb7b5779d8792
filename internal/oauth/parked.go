package oauth

import (
	"net/http"
	"net/url"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/signin"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// newSignin builds the sign-in flow's rules over the server's store,
// users, revocations and clock.
func (s *Server) newSignin() *signin.Service {
	sv := &signin.Service{Store: s.Store, Now: func() time.Time { return s.Now() }, Node: s.Node,
		SessionLifetime: s.Config.Session.Lifetime}
	if s.Grants != nil {
		sv.Users = s.Grants.Users
	}
	if s.Refresh != nil {
		sv.Revoker = s.Refresh
	}
	return sv
}

// admit is the edge's budget for a request about to be stored (parked or
// pushed): each comes out of the budgets of the caller's address and the
// client (admitStored), and a refusal carries its Retry-After.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, clientID string) signin.Admit {
	return func(size int) error {
		if e := s.admitStored(r, clientID, size); e != nil {
			setRetryAfter(w, e)
			return e
		}
		return nil
	}
}

// parkedRequest loads a live parked request and its client for a page.
func (s *Server) parkedRequest(r *http.Request, handle string) (authorize.Request, *config.Client, *store.AuthRequest, error) {
	req, rec, err := s.signin.Parked(r.Context(), handle)
	if err != nil {
		return req, nil, nil, err
	}
	c, ok := s.Clients.Client(req.ClientID)
	if !ok { // the client was removed from the configuration meanwhile
		return req, nil, nil, signin.ErrStale
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
func (s *Server) sendTo(step authorize.Step, handle string) reply {
	return seeOther(s.stepPath(step) + "?request=" + url.QueryEscape(handle))
}
