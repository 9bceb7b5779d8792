package console

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// Console serves the console's pages. Register adds them to the admin
// Server; Authorizers gives the Server what lets a browser in.
type Console struct {
	Store   store.Store
	Config  *config.Config
	Refresh *refresh.Service
	Keys    *keys.Set
	Users   *directory.Users
	API     *admin.API // the client disable, shared with the JSON API
	Token   *admin.Token
	Sealer  Sealer
	CSRF    *web.CSRF // Path "/admin"
	Pages   *web.Console
	Now     func() time.Time
	Log     *slog.Logger
	// PageSize is the rows of one page of a listing (50 when 0).
	PageSize int
}

// Authorizers are what the admin Server needs, beside its bearer token,
// to serve the console: the session cookie and the sign-in gate.
func (c *Console) Authorizers() []admin.Authorizer {
	return []admin.Authorizer{&CookieAuth{Sealer: c.Sealer, Now: c.Now}, SignInGate{}}
}

// Register adds the console's routes to s.
func (c *Console) Register(s *admin.Server) {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PageSize <= 0 {
		c.PageSize = 50
	}
	s.Handle("GET "+Path+"/signin", http.HandlerFunc(c.signInPage))
	s.Handle("POST "+Path+"/signin", http.HandlerFunc(c.signIn))
	s.Handle("GET "+Path+"/{$}", c.page(c.search))
	s.Handle("GET "+Path, http.RedirectHandler(Path+"/", http.StatusSeeOther))
	s.Handle("POST "+Path+"/signout", c.page(c.signOut))
	s.Handle("GET "+Path+"/search", c.page(c.find))
	s.Handle("GET "+Path+"/users/{sub}", c.page(c.user))
	s.Handle("POST "+Path+"/users/{sub}/revoke", c.page(c.revokeUser))
	s.Handle("GET "+Path+"/clients/{id}", c.page(c.client))
	s.Handle("POST "+Path+"/clients/{id}/revoke", c.page(c.revokeClient))
	s.Handle("POST "+Path+"/clients/{id}/disable", c.page(c.disableClient))
	s.Handle("GET "+Path+"/grants/{id}", c.page(c.grant))
	s.Handle("POST "+Path+"/grants/{id}/revoke", c.page(c.revokeGrant))
	s.Handle("GET "+Path+"/reuse", c.page(c.reuse))
	s.Handle("GET "+Path+"/keys", c.page(c.keys))
}

// req is one signed-in request: the administrator's session.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	name string
}

// page wraps a console handler: only a request signed in with the console
// cookie reaches it (a bearer token or the sign-in gate does not: the
// audit trail needs the administrator's name). A GET without a session is
// sent to the sign-in page; anything else is refused. The session's idle
// end moves forward with each request.
func (c *Console) page(h func(q *req) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := signedIn(r.Context())
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
				return
			}
			c.message(w, r, "", http.StatusForbidden, "Not signed in", "Sign in to the console first.", Path+"/signin")
			return
		}
		if ck, err := r.Cookie(CookieName); err == nil {
			if s, err := c.Sealer.Open(ck.Value, c.Now()); err == nil {
				c.setCookie(w, r, c.Sealer.Seal(s.Touched(c.Now())), s.Deadline)
			}
		}
		// The audit actor is the administrator, whatever the Server set.
		ctx := audit.WithActor(r.Context(), audit.ActorAdmin, "console:"+name)
		q := &req{w: w, r: r.WithContext(ctx), name: name}
		if err := h(q); err != nil {
			c.fail(q, err)
		}
	})
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, value string, until time.Time) {
	ck := &http.Cookie{Name: CookieName, Value: value, Path: Path, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode}
	if value == "" {
		ck.MaxAge = -1
	} else {
		ck.Expires = until
	}
	http.SetCookie(w, ck)
}

// render writes a console page for q's administrator.
func (c *Console) render(q *req, status int, name string, data any) error {
	return c.Pages.Render(q.w, status, name, q.name, c.token(q, signOutPurpose), data)
}

// token is the CSRF token of the form for purpose (an action's), bound to
// the administrator too: a token taken from one form, or one
// administrator's session, serves no other.
func (c *Console) token(q *req, purpose string) string {
	return c.CSRF.Token(q.w, q.r, binding(q.name, purpose))
}

const signOutPurpose = "/signout"

func binding(name, purpose string) string { return "console\x00" + name + "\x00" + purpose }

// Form is one action's form: where it posts, its CSRF token, the
// confirmation to tick, the button, and an optional second checkbox.
type Form struct {
	Action, CSRF, Confirm, Label, Option string
}

func (c *Console) form(q *req, a action, confirm, label string) *Form {
	return &Form{Action: a.url, CSRF: c.token(q, a.purpose), Confirm: confirm, Label: label}
}

// errNotConfirmed and errBadCSRF: an action whose form was not confirmed,
// or came without its token. Nothing is changed.
var (
	errNotConfirmed = errors.New("tick the confirmation box to go ahead: nothing was changed")
	errBadCSRF      = errors.New("the form is stale or did not come from this console (its CSRF token is missing or wrong): nothing was changed; reload the page and try again")
)

// checkAction holds a POST to a's CSRF token and its confirmation.
func (c *Console) checkAction(q *req, a action) error {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, 16<<10)
	if err := q.r.ParseForm(); err != nil {
		return badRequest("the form could not be read")
	}
	if !c.CSRF.Valid(q.r, binding(q.name, a.purpose), q.r.PostFormValue("csrf")) {
		return &pageError{status: http.StatusForbidden, title: "Refused", err: errBadCSRF}
	}
	if q.r.PostFormValue("confirm") != "yes" {
		return &pageError{status: http.StatusBadRequest, title: "Not confirmed", err: errNotConfirmed}
	}
	return nil
}

// pageError is an error with the page it is shown on.
type pageError struct {
	status int
	title  string
	err    error
}

func (e *pageError) Error() string { return e.err.Error() }

func badRequest(text string) error {
	return &pageError{status: http.StatusBadRequest, title: "Bad request", err: errors.New(text)}
}

func notFound(text string) error {
	return &pageError{status: http.StatusNotFound, title: "Not found", err: errors.New(text)}
}

// fail shows err: a pageError as it says, a store outage as 503, anything
// else as 500 with the cause in the log only.
func (c *Console) fail(q *req, err error) {
	var pe *pageError
	switch {
	case errors.As(err, &pe):
	case errors.Is(err, store.ErrUnavailable):
		pe = &pageError{status: http.StatusServiceUnavailable, title: "Store unavailable", err: errors.New("the store is unreachable; try again shortly")}
	default:
		c.Log.Error("console: page failed", "path", q.r.URL.Path, "err", err)
		pe = &pageError{status: http.StatusInternalServerError, title: "Something went wrong", err: errors.New("the page could not be made; the log says why")}
	}
	c.message(q.w, q.r, q.name, pe.status, pe.title, pe.err.Error(), Path+"/")
}

// Message is the data of a message page.
type Message struct {
	Title, Text, Back string
	Alert             bool
}

func (c *Console) message(w http.ResponseWriter, r *http.Request, name string, status int, title, text, back string) {
	csrf := ""
	if name != "" {
		csrf = c.CSRF.Token(w, r, binding(name, signOutPurpose))
	}
	if err := c.Pages.Render(w, status, "message", name, csrf, Message{Title: title, Text: text, Back: back, Alert: status >= 400}); err != nil {
		c.Log.Error("console: rendering a message failed", "err", err)
		http.Error(w, text, status)
	}
}

// done sends the browser back to back (303, so a reload does not post
// again) saying what was done: a kind of action and a count, never free
// text, so a crafted link cannot make the console say anything else.
func done(q *req, back, kind string, n int) error {
	http.Redirect(q.w, q.r, back+"?done="+kind+"&n="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

// doneNote is the sentence for what done reported, "" for none.
func doneNote(r *http.Request) string {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		return ""
	}
	switch r.URL.Query().Get("done") {
	case "revoked":
		if n == 1 {
			return "Revoked 1 grant. Its next refresh is refused (invalid_grant)."
		}
		return "Revoked " + strconv.Itoa(n) + " grants. Their next refreshes are refused (invalid_grant)."
	case "disabled":
		return "The client is disabled; " + strconv.Itoa(n) + " of its grants were revoked with it."
	case "already":
		return "That grant was revoked already."
	}
	return ""
}
