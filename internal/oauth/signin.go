package oauth

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// errForm is shown when a form comes back without a valid CSRF token.
var errForm = &authorize.PageError{Code: oautherr.InvalidRequest,
	Message: "the form has expired or did not come from this page; go back and try again"}

// login is the sign-in page: GET shows the form, POST checks the password.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	form, err := browserForm(w, r)
	if err != nil {
		return s.pageError(w, r, "", err)
	}
	handle := form.Get("request")
	req, _, err := s.parked(r.Context(), handle)
	if err != nil {
		return s.pageError(w, r, "", err)
	}
	c, _ := s.Clients.Client(req.ClientID)
	// RedirectURI: the form's POST may end in a redirect to the client, and
	// browsers hold that redirect to the page's CSP form-action.
	page := web.LoginPage{Lang: s.lang(r, req.UILocales), ClientName: clientName(c), Action: s.prefix + PathLogin,
		Username: req.LoginHint, RedirectURI: req.RedirectURI}
	if r.Method == http.MethodPost {
		if !s.CSRF.Valid(r, "login:"+handle, form.Get("csrf")) {
			return s.pageError(w, r, req.UILocales, errForm)
		}
		reqlog.SetClient(r.Context(), req.ClientID) // the client the user signs in to: log lines, audit trail
		u, err := s.checkPassword(r, req.ClientID, form.Get("username"), form.Get("password"))
		var th *grant.Throttled
		switch {
		case err == nil:
			if _, err := s.startSession(r.Context(), w, r, u, []string{"pwd"}); err != nil {
				return s.pageError(w, r, req.UILocales, oautherr.Server(err))
			}
			http.Redirect(w, r, s.prefix+PathResume+"?request="+url.QueryEscape(handle), http.StatusSeeOther)
			return nil
		case errors.As(err, &th):
			// 429 with the form kept: the user may try again after the wait.
			setRetryAfter(w, grant.ThrottledError(th))
			page.Username, page.Throttled = form.Get("username"), true
		case errors.Is(err, grant.ErrBadCredentials):
			page.Username, page.Failed = form.Get("username"), true
		default:
			return s.pageError(w, r, req.UILocales, oautherr.Server(err))
		}
	}
	page.Hidden = map[string]string{"request": handle, "csrf": s.CSRF.Token(w, r, "login:"+handle)}
	noStore(w)
	return s.Pages.Login(w, page)
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
func (s *Server) consent(w http.ResponseWriter, r *http.Request) error {
	form, err := browserForm(w, r)
	if err != nil {
		return s.pageError(w, r, "", err)
	}
	ctx := r.Context()
	handle := form.Get("request")
	req, c, rec, err := s.parkedRequest(r, handle)
	if err != nil {
		return s.pageError(w, r, req.UILocales, err)
	}
	post := r.Method == http.MethodPost
	if post && !s.CSRF.Valid(r, "consent:"+handle, form.Get("csrf")) {
		return s.pageError(w, r, req.UILocales, errForm)
	}
	step, sess, u, err := s.decide(r, req, c, rec)
	if err != nil {
		return s.stepError(w, r, req, err)
	}
	// A form shown while consent was needed keeps its answer when a consent
	// remembered meanwhile (another tab) made it unnecessary: a deny stays
	// a deny. Only a missing sign-in sends the user back.
	if step == authorize.StepLogin || (!post && step == authorize.StepComplete) {
		return s.sendTo(w, r, step, handle)
	}
	if post {
		if err := s.finishParked(ctx, handle); err != nil {
			return s.pageError(w, r, req.UILocales, err)
		}
		if form.Get("consent") != "allow" {
			s.Log.LogAttrs(ctx, slog.LevelInfo, "consent denied", slog.String("client_id", c.ID), slog.String("subject", u.Subject))
			return s.redirectError(w, r, req, oautherr.New(oautherr.AccessDenied, "the user denied the request"))
		}
		if form.Get("remember") == "yes" {
			if err := s.remember(r, sess.Subject, c.ID, req.Scopes); err != nil {
				return s.redirectError(w, r, req, oautherr.Server(err))
			}
		}
		return s.complete(w, r, req, c, sess, u)
	}
	noStore(w)
	return s.Pages.Consent(w, web.ConsentPage{
		Lang: s.lang(r, req.UILocales), ClientName: clientName(c), ClientID: c.ID, Username: u.Username,
		Action: s.prefix + PathConsent, Scopes: req.Scopes, Offline: authorize.OfflineRequested(req, c), RedirectURI: req.RedirectURI,
		Hidden: map[string]string{"request": handle, "csrf": s.CSRF.Token(w, r, "consent:"+handle)},
	})
}

// remember stores a consent per user, client and scope set: the scopes
// consented to before, plus these.
func (s *Server) remember(r *http.Request, subject, clientID string, scopes []string) error {
	ctx := r.Context()
	scopes = slices.Clone(scopes)
	prev, err := s.Store.Consent(ctx, subject, clientID)
	if err == nil && (prev.ExpiresAt.IsZero() || s.Now().Before(prev.ExpiresAt)) {
		for _, sc := range prev.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	return s.Store.SaveConsent(ctx, store.Consent{Subject: subject, ClientID: clientID, Scopes: scopes, CreatedAt: s.Now()})
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
