package oauth

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/signin"
)

// Paths of the browser sign-in.
const (
	PathAuthorize  = "/connect/authorize"
	PathResume     = "/connect/authorize/resume"
	PathPAR        = "/connect/par"
	PathEndSession = "/connect/endsession"
	PathLogin      = "/account/login"
	PathConsent    = "/account/consent"
)

// authorizeEndpoint is the authorization endpoint (RFC 6749 §3.1, OIDC Core
// §3.1.2), by GET or POST.
func (s *Server) authorizeEndpoint(w http.ResponseWriter, r *http.Request) (reply, error) {
	params, err := browserForm(w, r)
	if err != nil {
		return nil, onPage("", err)
	}
	ctx := r.Context()
	// RFC 9101: a signed request object's parameters are the request.
	if params, err = s.authorizeRequestObject(ctx, params); err != nil {
		return nil, s.requestObjectError(params, err)
	}
	pushed := false
	if uri := params.Get("request_uri"); uri != "" {
		// RFC 9126 §4: the pushed parameters replace the request's, and
		// the client_id must be the pushing client's.
		if params, err = s.signin.Pushed(ctx, uri, params.Get("client_id")); err != nil {
			return nil, onPage(params.Get("ui_locales"), err)
		}
		pushed = true
	}
	c, redirectURI, perr := authorize.ParseClient(params, s.Clients)
	if perr != nil {
		return nil, onPage(params.Get("ui_locales"), perr)
	}
	reqlog.SetClient(ctx, c.ID) // a registered client, for the access and error lines
	req, err := authorize.Validate(params, c, redirectURI, pushed)
	if err != nil {
		return nil, backToClient(req, err)
	}
	d, err := s.signin.Decide(ctx, sessionCookieValue(r), req, c, nil)
	if err != nil {
		return nil, stepFailure(req, err)
	}
	if d.Step == authorize.StepComplete {
		return s.complete(r, req, c, d)
	}
	handle, err := s.signin.Park(ctx, req, s.admit(w, r, req.ClientID))
	if err != nil {
		return nil, onPage(req.UILocales, err)
	}
	return s.sendTo(d.Step, handle), nil
}

// resume continues a parked request after the login form: it decides
// afresh, and completes the request only when nothing is left to ask.
func (s *Server) resume(w http.ResponseWriter, r *http.Request) (reply, error) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		return nil, errMethod("GET")
	}
	q, err := browserForm(w, r)
	if err != nil {
		return nil, onPage("", err)
	}
	handle := q.Get("request")
	req, c, rec, err := s.parkedRequest(r, handle)
	if err != nil {
		return nil, onPage(req.UILocales, err)
	}
	d, err := s.signin.Decide(r.Context(), sessionCookieValue(r), req, c, rec)
	if err != nil {
		return nil, stepFailure(req, err)
	}
	if d.Step != authorize.StepComplete {
		return s.sendTo(d.Step, handle), nil
	}
	if err := s.signin.Finish(r.Context(), handle); err != nil {
		return nil, onPage(req.UILocales, err)
	}
	return s.complete(r, req, c, d)
}

// complete answers the client: a code (signin.Code), plus the hybrid
// flow's front-channel tokens, with the issuer (RFC 9207).
func (s *Server) complete(r *http.Request, req authorize.Request, c *config.Client, d signin.Decision) (reply, error) {
	sess, u := d.Session, d.User
	code, err := s.signin.Code(r.Context(), req, c, sess, u)
	if err != nil {
		return nil, backToClient(req, err)
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
			return nil, backToClient(req, err)
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
	return toClient{req: req, params: params}, nil
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
