package oauth

import (
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// sessionCookie holds the session's cookie value (signin.Service.Start):
// HttpOnly, SameSite=Lax, Secure whenever the issuer is https.
const sessionCookie = "tollgate_session"

// secureCookies: cookies are Secure whenever the issuer is https.
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.issuer, "https://") }

func (s *Server) cookiePath() string {
	if s.prefix == "" {
		return "/"
	}
	return s.prefix + "/"
}

// sessionCookieValue is the browser's session cookie, "" when none.
func sessionCookieValue(r *http.Request) string {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return ck.Value
}

// setSessionCookie gives the browser a session's cookie until expires;
// an empty value deletes it.
func (s *Server) setSessionCookie(w http.ResponseWriter, value string, expires time.Time) {
	ck := &http.Cookie{
		Name: sessionCookie, Value: value, Path: s.cookiePath(), HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode, Expires: expires,
	}
	if value == "" {
		ck.Expires, ck.MaxAge = time.Time{}, -1
	}
	http.SetCookie(w, ck)
}

// BrowserSession is the live Tollgate session of the browser that sent r
// (its session cookie) and its user, or nil when it has none, it ended or
// its user was disabled: for pages of the server's own, such as /account,
// whose sign-in must end when the person signs out of Tollgate.
func (s *Server) BrowserSession(r *http.Request) (*store.Session, *config.User, error) {
	return s.signin.Session(r.Context(), sessionCookieValue(r))
}
