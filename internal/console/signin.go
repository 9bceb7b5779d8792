package console

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/web"
)

// SignInPage is the data of the sign-in form.
type SignInPage struct {
	CSRF   string
	Name   string
	Failed bool
	Here   *url.URL // the page's URL on a GET, for the language switch
}

const signInBinding = "console-signin"

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := signedIn(r.Context()); ok {
		http.Redirect(w, r, Path+"/", http.StatusSeeOther)
		return
	}
	c.showSignIn(w, r, http.StatusOK, SignInPage{Here: r.URL})
}

func (c *Console) showSignIn(w http.ResponseWriter, r *http.Request, status int, p SignInPage) {
	p.CSRF = c.CSRF.Token(w, r, signInBinding)
	if err := c.Pages.Render(w, status, "signin", web.ConsoleFrame{Lang: c.lang(w, r), Here: p.Here}, p); err != nil {
		c.Log.Error("console: rendering the sign-in page failed", "err", err)
		http.Error(w, "the sign-in page could not be made", http.StatusInternalServerError)
	}
}

// signIn checks the form's CSRF token, the admin token (as admin.Token
// does, in constant time) and the declared name, and sets the session
// cookie. A failure says neither which part was wrong nor anything about
// the token.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.showSignIn(w, r, http.StatusBadRequest, SignInPage{Failed: true})
		return
	}
	name := r.PostFormValue("name")
	if !c.CSRF.Valid(r, signInBinding, r.PostFormValue("csrf")) {
		c.showSignIn(w, r, http.StatusForbidden, SignInPage{Name: printable(name), Failed: true})
		return
	}
	tokOK := c.Token.Check(r.PostFormValue("token"))
	if !tokOK || !ValidName(name) {
		c.Log.LogAttrs(r.Context(), slog.LevelWarn, "console: sign-in refused",
			slog.Bool("token_ok", tokOK), slog.Bool("name_ok", ValidName(name)), slog.String("remote", r.RemoteAddr))
		c.showSignIn(w, r, http.StatusUnauthorized, SignInPage{Name: printable(name), Failed: true})
		return
	}
	s := NewSession(name, c.Now())
	c.setCookie(w, r, c.Sealer.Seal(s), s.Deadline)
	c.Log.LogAttrs(r.Context(), slog.LevelInfo, "console: signed in", slog.String("actor", s.Actor()), slog.String("remote", r.RemoteAddr))
	http.Redirect(w, r, Path+"/", http.StatusSeeOther)
}

// signOut ends the session: the cookie is cleared (a copy kept elsewhere
// stays valid until its idle end; the session is not stored).
func (c *Console) signOut(q *req) error {
	if err := q.r.ParseForm(); err != nil || !c.CSRF.Valid(q.r, binding(q.name, signOutPurpose), q.r.PostFormValue("csrf")) {
		return errBadCSRF
	}
	c.setCookie(q.w, q.r, "", time.Time{})
	http.Redirect(q.w, q.r, Path+"/signin", http.StatusSeeOther)
	return nil
}

// printable keeps a refused name for the form if it is short.
func printable(s string) string {
	if len(s) > 64 {
		return ""
	}
	return s
}
