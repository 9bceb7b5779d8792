package oauth

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// errForm is shown when a form comes back without a valid CSRF token.
var errForm = &authorize.PageError{Code: oautherr.InvalidRequest,
	Message: "the form has expired or did not come from this page; go back and try again"}

// login is the sign-in page: GET shows the form, POST checks the password.
func (s *Server) login(w http.ResponseWriter, r *http.Request) (reply, error) {
	form, err := browserForm(w, r)
	if err != nil {
		return nil, onPage("", err)
	}
	handle := form.Get("request")
	req, _, err := s.signin.Parked(r.Context(), handle)
	if err != nil {
		return nil, onPage("", err)
	}
	c, _ := s.Clients.Client(req.ClientID)
	// RedirectURI: the form's POST may end in a redirect to the client, and
	// browsers hold that redirect to the page's CSP form-action.
	p := web.LoginPage{Lang: s.lang(r, req.UILocales), ClientName: clientName(c), Action: s.prefix + PathLogin,
		Username: req.LoginHint, RedirectURI: req.RedirectURI}
	if r.Method == http.MethodPost {
		if !s.CSRF.Valid(r, "login:"+handle, form.Get("csrf")) {
			return nil, onPage(req.UILocales, errForm)
		}
		reqlog.SetClient(r.Context(), req.ClientID) // the client the user signs in to: log lines, audit trail
		u, err := s.checkPassword(r, req.ClientID, form.Get("username"), form.Get("password"))
		var th *grant.Throttled
		switch {
		case err == nil:
			sess, cookie, err := s.signin.Start(r.Context(), sessionCookieValue(r), u, []string{"pwd"})
			if err != nil {
				return nil, onPage(req.UILocales, oautherr.Server(err))
			}
			s.setSessionCookie(w, cookie, sess.ExpiresAt)
			return seeOther(s.prefix + PathResume + "?request=" + url.QueryEscape(handle)), nil
		case errors.As(err, &th):
			// 429 with the form kept: the user may try again after the wait.
			setRetryAfter(w, grant.ThrottledError(th))
			p.Username, p.Throttled = form.Get("username"), true
		case errors.Is(err, grant.ErrBadCredentials):
			p.Username, p.Failed = form.Get("username"), true
		default:
			return nil, onPage(req.UILocales, oautherr.Server(err))
		}
	}
	p.Hidden = map[string]string{"request": handle, "csrf": s.CSRF.Token(w, r, "login:"+handle)}
	return page(func(w http.ResponseWriter) error { return s.Pages.Login(w, p) }), nil
}

// checkPassword verifies a sign-in through the checks the password grant
// uses too (grant.Passwords): throttled per username and per address,
// bounded in concurrency, equal in cost for every username. It returns the
// user, grant.ErrBadCredentials, a *grant.Throttled or an internal error.
func (s *Server) checkPassword(r *http.Request, clientID, username, password string) (*config.User, error) {
	checks, err := s.Grants.PasswordChecks()
	if err != nil {
		return nil, err
	}
	return checks.Check(r.Context(), grant.Attempt{Username: username, Password: password,
		RemoteIP: s.clientIP(r), ClientID: clientID, Via: "login_page"})
}

// consent is the consent page: GET shows what the client asks for, POST
// records the answer (OIDC Core §11 for offline access). Both decide
// afresh: the page is shown only while the decision is to ask for consent,
// and a sign-in the request still needs (no session, prompt=login, max_age)
// comes first.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) (reply, error) {
	form, err := browserForm(w, r)
	if err != nil {
		return nil, onPage("", err)
	}
	ctx := r.Context()
	handle := form.Get("request")
	req, c, rec, err := s.parkedRequest(r, handle)
	if err != nil {
		return nil, onPage(req.UILocales, err)
	}
	post := r.Method == http.MethodPost
	if post && !s.CSRF.Valid(r, "consent:"+handle, form.Get("csrf")) {
		return nil, onPage(req.UILocales, errForm)
	}
	d, err := s.signin.Decide(ctx, sessionCookieValue(r), req, c, rec)
	if err != nil {
		return nil, stepFailure(req, err)
	}
	// A form shown while consent was needed keeps its answer when a consent
	// remembered meanwhile (another tab) made it unnecessary: a deny stays
	// a deny. Only a missing sign-in sends the user back.
	if d.Step == authorize.StepLogin || (!post && d.Step == authorize.StepComplete) {
		return s.sendTo(d.Step, handle), nil
	}
	if post {
		if err := s.signin.Finish(ctx, handle); err != nil {
			return nil, onPage(req.UILocales, err)
		}
		if form.Get("consent") != "allow" {
			s.Log.LogAttrs(ctx, slog.LevelInfo, "consent denied", slog.String("client_id", c.ID), slog.String("subject", d.User.Subject))
			return nil, backToClient(req, oautherr.New(oautherr.AccessDenied, "the user denied the request"))
		}
		if form.Get("remember") == "yes" {
			if err := s.signin.Remember(ctx, d.Session.Subject, c.ID, req.Scopes); err != nil {
				return nil, backToClient(req, oautherr.Server(err))
			}
		}
		return s.complete(r, req, c, d)
	}
	p := web.ConsentPage{
		Lang: s.lang(r, req.UILocales), ClientName: clientName(c), ClientID: c.ID, Username: d.User.Username,
		Action: s.prefix + PathConsent, Scopes: req.Scopes, Offline: authorize.OfflineRequested(req, c), RedirectURI: req.RedirectURI,
		Hidden: map[string]string{"request": handle, "csrf": s.CSRF.Token(w, r, "consent:"+handle)},
	}
	return page(func(w http.ResponseWriter) error { return s.Pages.Consent(w, p) }), nil
}

func clientName(c *config.Client) string {
	if c == nil {
		return ""
	}
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}
