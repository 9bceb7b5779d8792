package oauth

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// Paths of the browser sign-in.
const (
	PathAuthorize  = "/connect/authorize"
	PathResume     = "/connect/authorize/resume"
	PathPAR        = "/connect/par"
	PathEndSession = "/connect/endsession"
	PathLogin      = "/account/login"
	PathConsent    = "/account/consent"
	codeTTL        = 60 * time.Second
)

// authorizeEndpoint is the authorization endpoint (RFC 6749 §3.1, OIDC Core
// §3.1.2), by GET or POST.
func (s *Server) authorizeEndpoint(w http.ResponseWriter, r *http.Request) error {
	params, err := browserForm(w, r)
	if err != nil {
		return s.pageError(w, r, "", err)
	}
	ctx := r.Context()
	// RFC 9101: a signed request object's parameters are the request.
	if params, err = s.authorizeRequestObject(ctx, params); err != nil {
		return s.requestObjectError(w, r, params, err)
	}
	pushed := false
	if uri := params.Get("request_uri"); uri != "" {
		// RFC 9126 §4: the pushed parameters replace the request's, and
		// the client_id must be the pushing client's.
		if params, err = s.pushed(ctx, uri, params.Get("client_id")); err != nil {
			return s.pageError(w, r, params.Get("ui_locales"), err)
		}
		pushed = true
	}
	c, redirectURI, perr := authorize.ParseClient(params, s.Clients)
	if perr != nil {
		return s.pageError(w, r, params.Get("ui_locales"), perr)
	}
	reqlog.SetClient(ctx, c.ID) // a registered client, for the access and error lines
	req, err := authorize.Validate(params, c, redirectURI, pushed)
	if err != nil {
		return s.redirectError(w, r, req, err)
	}
	step, sess, user, err := s.decide(r, req, c, nil)
	if err != nil {
		return s.stepError(w, r, req, err)
	}
	if step == authorize.StepComplete {
		return s.complete(w, r, req, c, sess, user)
	}
	handle, err := s.park(w, r, req)
	if err != nil {
		return s.pageError(w, r, req.UILocales, err)
	}
	return s.sendTo(w, r, step, handle)
}

// resume continues a parked request after the login form: it decides
// afresh, and completes the request only when nothing is left to ask.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		return errMethod("GET")
	}
	q, err := browserForm(w, r)
	if err != nil {
		return s.pageError(w, r, "", err)
	}
	handle := q.Get("request")
	req, c, rec, err := s.parkedRequest(r, handle)
	if err != nil {
		return s.pageError(w, r, req.UILocales, err)
	}
	step, sess, user, err := s.decide(r, req, c, rec)
	if err != nil {
		return s.stepError(w, r, req, err)
	}
	if step != authorize.StepComplete {
		return s.sendTo(w, r, step, handle)
	}
	if err := s.finishParked(r.Context(), handle); err != nil {
		return s.pageError(w, r, req.UILocales, err)
	}
	return s.complete(w, r, req, c, sess, user)
}

// stepError answers a failed decision: the client hears of a refusal it can
// act on (prompt=none: login_required, consent_required); a failure of our
// own is a page the user can retry from.
func (s *Server) stepError(w http.ResponseWriter, r *http.Request, req authorize.Request, err error) error {
	if oautherr.As(err).Status >= 500 {
		return s.pageError(w, r, req.UILocales, err)
	}
	return s.redirectError(w, r, req, err)
}

// complete answers the client: a code bound to the client, redirect URI,
// PKCE challenge, nonce and session (RFC 6749 §4.1.2), plus the hybrid
// flow's front-channel tokens, with the issuer (RFC 9207).
func (s *Server) complete(w http.ResponseWriter, r *http.Request, req authorize.Request, c *config.Client, sess *store.Session, u *config.User) error {
	now := s.Now()
	code := mint.NewCode()
	err := s.Store.CreateAuthCode(r.Context(), store.AuthCode{
		Hash: mint.HashToken(code), ClientID: c.ID, RedirectURI: req.RedirectURI,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod,
		Subject: u.Subject, Scopes: req.Scopes, Nonce: req.Nonce, SessionID: sess.SID, AMR: sess.AMR,
		AuthTime: sess.AuthTime, CreatedAt: now, ExpiresAt: now.Add(codeTTL),
		Resources: req.Resources, // RFC 8707 §2.1
		DPoPJKT:   req.DPoPJKT,
	})
	if err != nil {
		return s.redirectError(w, r, req, oautherr.Server(err))
	}
	params := url.Values{"code": {code}, "iss": {s.issuer}}
	if req.State != "" {
		params.Set("state", req.State)
	}
	types := strings.Fields(req.ResponseType)
	wantAT, wantID := slices.Contains(types, "token"), slices.Contains(types, "id_token")
	if wantAT || wantID {
		ft, err := s.Grants.FrontChannel(r.Context(), grant.SignIn{
			Client: c, User: u, Scopes: req.Scopes, AuthTime: sess.AuthTime, SessionID: sess.SID, AMR: sess.AMR, Nonce: req.Nonce,
		}, code, wantAT, wantID)
		if err != nil {
			return s.redirectError(w, r, req, err)
		}
		if wantAT {
			params.Set("access_token", ft.AccessToken)
			params.Set("token_type", "Bearer")
			params.Set("expires_in", strconv.FormatInt(ft.ExpiresIn, 10))
			params.Set("scope", ft.Scope)
		}
		if wantID {
			params.Set("id_token", ft.IDToken)
		}
	}
	s.Log.LogAttrs(r.Context(), slog.LevelInfo, "authorization granted",
		slog.String("client_id", c.ID), slog.String("subject", u.Subject), slog.String("response_type", req.ResponseType))
	return s.deliver(w, r, req, params)
}

// redirectError sends an error back to the client (RFC 6749 §4.1.2.1).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req authorize.Request, err error) error {
	// An unreachable store goes back to the client as temporarily_unavailable
	// (RFC 6749 §4.1.2.1: the code exists because a redirect cannot carry a
	// 503), so the app can start the sign-in again.
	e := asError(err)
	s.logFailure(r, "authorization failed", e)
	if req.ResponseMode == "" {
		req.ResponseMode = authorize.ModeQuery
		if req.ResponseType != "" && req.ResponseType != config.ResponseCode {
			req.ResponseMode = authorize.ModeFragment
		}
	}
	return s.deliver(w, r, req, authorize.ErrorParams(e.Code, e.Description, req.State, s.issuer))
}

// deliver returns params to the client in the request's response mode.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, req authorize.Request, params url.Values) error {
	noStore(w)
	if req.ResponseMode == authorize.ModeFormPost {
		flat := make(map[string]string, len(params))
		for k := range params {
			flat[k] = params.Get(k)
		}
		return s.Pages.FormPost(w, web.FormPostPage{Lang: s.lang(r, req.UILocales), Action: req.RedirectURI, Params: flat})
	}
	http.Redirect(w, r, authorize.RedirectURL(req.RedirectURI, req.ResponseMode, params), http.StatusFound)
	return nil
}

// pageError shows an error page: the request cannot be answered by a
// redirect. A store that cannot be reached gets the "try again shortly"
// page instead (503).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, uiLocales string, err error) error {
	var pe *authorize.PageError
	status := http.StatusBadRequest
	if !errors.As(err, &pe) {
		e := asError(err)
		s.logFailure(r, "sign-in page failed", e)
		if e.Status == http.StatusServiceUnavailable {
			return s.unavailablePage(w, r, uiLocales, e)
		}
		pe, status = &authorize.PageError{Code: e.Code, Message: e.Description}, e.Status
	} else {
		s.logFailure(r, "sign-in page failed", &oautherr.Error{Code: pe.Code, Description: pe.Message, Status: status})
	}
	noStore(w)
	return s.Pages.Error(w, status, web.ErrorPage{Lang: s.lang(r, uiLocales), Code: pe.Code, Message: pe.Message})
}

func (s *Server) lang(r *http.Request, uiLocales string) web.Lang {
	return web.PickLang(uiLocales, r.Header.Get("Accept-Language"))
}

// browserForm reads the parameters of a browser request: the query for
// GET, the size-limited form body for POST (OIDC Core §3.1.2.1). A repeated
// parameter is refused either way (RFC 6749 §3.1: "Request and response
// parameters MUST NOT be included more than once"): with two client_ids or
// request_uris there is no telling which one the request means.
func browserForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	switch r.Method {
	case http.MethodGet:
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, oautherr.New(oautherr.InvalidRequest, "the query string is not valid URL encoding")
		}
		for k, v := range q {
			if len(v) > 1 && k != authorize.ParamResource { // RFC 8707 §2.1: resource may repeat
				return nil, oautherr.New(oautherr.InvalidRequest, "parameter %q is repeated; each parameter may appear once (RFC 6749 §3.1)", k)
			}
		}
		return q, nil
	case http.MethodPost:
		return postForm(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		return nil, errMethod("GET and POST")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
