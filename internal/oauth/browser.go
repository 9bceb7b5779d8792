package oauth

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// The browser pages answer the way the token side does: a handler returns
// a value (reply) or an error (failure), and one writer renders either
// (browser, writeReply, writeFailure). The rules behind the answers are
// internal/signin's.

// browserFunc is a browser page's handler. It keeps the ResponseWriter for
// cookies (the session, CSRF) only; what the browser is shown is its reply.
type browserFunc func(w http.ResponseWriter, r *http.Request) (reply, error)

// reply is a browser handler's answer: seeOther, backTo, toClient or page.
type reply interface{ isReply() }

// seeOther sends the browser to a page of this server (303).
type seeOther string

// backTo sends the browser to a client's registered URI (302), as
// RP-Initiated Logout §3 does with post_logout_redirect_uri.
type backTo string

// toClient sends params back to the client in the request's response mode
// (RFC 6749 §4.1.2): a code, or an error (RFC 6749 §4.1.2.1).
type toClient struct {
	req    authorize.Request
	params url.Values
}

// page is a page rendered from data built by the handler; the writer adds
// Cache-Control: no-store first.
type page func(w http.ResponseWriter) error

func (seeOther) isReply() {}
func (backTo) isReply()   {}
func (toClient) isReply() {}
func (page) isReply()     {}

// failure is a browser handler's error: shown on an error page in the
// language of uiLocales, or, with req set, sent back to the client in its
// response mode (RFC 6749 §4.1.2.1).
type failure struct {
	uiLocales string
	req       *authorize.Request
	err       error
}

func (f *failure) Error() string { return errString(f.err) }
func (f *failure) Unwrap() error { return f.err }

// onPage: err is shown to the user; the request cannot be answered by a redirect.
func onPage(uiLocales string, err error) error {
	return &failure{uiLocales: uiLocales, err: err}
}

// backToClient: err goes back to the client in req's response mode.
func backToClient(req authorize.Request, err error) error {
	return &failure{uiLocales: req.UILocales, req: &req, err: err}
}

// stepFailure answers a failed decision: the client hears of a refusal it
// can act on (prompt=none: login_required, consent_required); a failure of
// our own is a page the user can retry from.
func stepFailure(req authorize.Request, err error) error {
	if oautherr.As(err).Status >= 500 {
		return onPage(req.UILocales, err)
	}
	return backToClient(req, err)
}

// browser turns a browser handler into an endpoint: its one page writer.
func (s *Server) browser(h browserFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rep, err := h(w, r)
		if err != nil {
			return s.writeFailure(w, r, err)
		}
		return s.writeReply(w, r, rep)
	}
}

func (s *Server) writeReply(w http.ResponseWriter, r *http.Request, rep reply) error {
	switch rep := rep.(type) {
	case seeOther:
		http.Redirect(w, r, string(rep), http.StatusSeeOther)
		return nil
	case backTo:
		http.Redirect(w, r, string(rep), http.StatusFound)
		return nil
	case toClient:
		return s.deliver(w, r, rep.req, rep.params)
	case page:
		noStore(w)
		return rep(w)
	}
	return oautherr.Server(errors.New("browser handler answered nothing"))
}

// writeFailure renders a failure; any other error is the endpoint's
// (serve renders it as JSON).
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, err error) error {
	var f *failure
	if !errors.As(err, &f) {
		return err
	}
	if f.req != nil {
		return s.redirectError(w, r, *f.req, f.err)
	}
	return s.pageError(w, r, f.uiLocales, f.err)
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
