package console

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
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

// req is one signed-in request: the administrator's session and the
// language of the page.
type req struct {
	w    http.ResponseWriter
	r    *http.Request
	name string
	lang web.Lang
}

// t is the console text key in q's language.
func (q *req) t(key string) string { return web.Text(q.lang, key) }

// tp is the text key in q's language with its "{}" filled by arg.
func (q *req) tp(key, arg string) string { return web.TextWith(q.lang, key, arg) }

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
				c.lang(w, r) // a ui_locales asked for is kept for the sign-in page
				http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
				return
			}
			c.message(w, r, c.lang(w, r), "", http.StatusForbidden, "console_err_signin", "console_err_signin_text", "", Path+"/signin")
			return
		}
		if ck, err := r.Cookie(CookieName); err == nil {
			if s, err := c.Sealer.Open(ck.Value, c.Now()); err == nil {
				c.setCookie(w, r, c.Sealer.Seal(s.Touched(c.Now())), s.Deadline)
			}
		}
		// The audit actor is the administrator, whatever the Server set.
		ctx := audit.WithActor(r.Context(), audit.ActorAdmin, "console:"+name)
		q := &req{w: w, r: r.WithContext(ctx), name: name, lang: c.lang(w, r)}
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
	var here *url.URL
	if q.r.Method == http.MethodGet {
		here = q.r.URL // the language switch keeps its path as sent and its query
	}
	return c.Pages.Render(q.w, status, name, web.ConsoleFrame{Lang: q.lang, Who: q.name, CSRF: c.token(q, signOutPurpose), Here: here}, data)
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

// form is a's form; confirm and label are text keys.
func (c *Console) form(q *req, a action, confirm, label string) *Form {
	return &Form{Action: a.url, CSRF: c.token(q, a.purpose), Confirm: q.t(confirm), Label: q.t(label)}
}

// errNotConfirmed and errBadCSRF: an action whose form was not confirmed,
// or came without its token. Nothing is changed.
var (
	errNotConfirmed = &pageError{status: http.StatusBadRequest, title: "console_err_unconfirmed", text: "console_err_confirm"}
	errBadCSRF      = &pageError{status: http.StatusForbidden, title: "console_err_refused", text: "console_err_csrf"}
)

// checkAction holds a POST to a's CSRF token and its confirmation.
func (c *Console) checkAction(q *req, a action) error {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, 16<<10)
	if err := q.r.ParseForm(); err != nil {
		return badRequest("console_err_form")
	}
	if !c.CSRF.Valid(q.r, binding(q.name, a.purpose), q.r.PostFormValue("csrf")) {
		return errBadCSRF
	}
	if q.r.PostFormValue("confirm") != "yes" {
		return errNotConfirmed
	}
	return nil
}

// pageError is an error with the page it is shown on: its title and text
// are text keys, arg fills the text's "{}"; raw, when set, is shown as it
// is instead of the text (a description from the admin API).
type pageError struct {
	status      int
	title, text string
	arg, raw    string
}

func (e *pageError) Error() string {
	if e.raw != "" {
		return e.raw
	}
	return web.TextWith(web.EN, e.text, e.arg)
}

func badRequest(text string) error {
	return &pageError{status: http.StatusBadRequest, title: "console_err_bad", text: text}
}

func notFound(text, arg string) error {
	return &pageError{status: http.StatusNotFound, title: "console_err_not_found", text: text, arg: arg}
}

// fail shows err: a pageError as it says, a store outage as 503, anything
// else as 500 with the cause in the log only.
func (c *Console) fail(q *req, err error) {
	var pe *pageError
	switch {
	case errors.As(err, &pe):
	case store.Unavailable(err):
		pe = &pageError{status: http.StatusServiceUnavailable, title: "console_err_store", text: "console_err_store_text"}
	default:
		c.Log.Error("console: page failed", "path", q.r.URL.Path, "err", err)
		pe = &pageError{status: http.StatusInternalServerError, title: "console_err_broken", text: "console_err_broken_text"}
	}
	text := pe.raw
	if text == "" {
		text = q.tp(pe.text, pe.arg)
	}
	c.message(q.w, q.r, q.lang, q.name, pe.status, pe.title, "", text, Path+"/")
}

// Message is the data of a message page.
type Message struct {
	Title, Text, Back string
	Alert             bool
}

// message shows a message page: title and textKey are text keys; text,
// when set, is shown instead of textKey's.
func (c *Console) message(w http.ResponseWriter, r *http.Request, lang web.Lang, name string, status int, title, textKey, text, back string) {
	csrf := ""
	if name != "" {
		csrf = c.CSRF.Token(w, r, binding(name, signOutPurpose))
	}
	if text == "" {
		text = web.Text(lang, textKey)
	}
	m := Message{Title: web.Text(lang, title), Text: text, Back: back, Alert: status >= 400}
	if err := c.Pages.Render(w, status, "message", web.ConsoleFrame{Lang: lang, Who: name, CSRF: csrf}, m); err != nil {
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
func doneNote(q *req) string {
	n, err := strconv.Atoi(q.r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		return ""
	}
	switch q.r.URL.Query().Get("done") {
	case "revoked":
		if n == 1 {
			return q.t("console_done_revoked1")
		}
		return q.tp("console_done_revoked", strconv.Itoa(n))
	case "disabled":
		return q.tp("console_done_disabled", strconv.Itoa(n))
	case "already":
		return q.t("console_done_already")
	}
	return ""
}
