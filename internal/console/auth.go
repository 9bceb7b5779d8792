package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

// Path is where the console lives on the admin listener.
const Path = "/admin"

// inConsole reports whether p is the console's: /admin or under /admin/.
func inConsole(p string) bool { return p == Path || strings.HasPrefix(p, Path+"/") }

// CookieAuth is the admin Server's Authorizer for the console: a request
// for a console page (/admin, /admin/...) with a valid session cookie is
// the administrator the cookie names. It never says yes to another path,
// so the cookie never opens the JSON API or /metrics, which keep the
// bearer token.
type CookieAuth struct {
	Sealer Sealer
	Now    func() time.Time
}

// Authorize implements admin.Authorizer.
func (a *CookieAuth) Authorize(r *http.Request) (admin.Caller, bool) {
	if !inConsole(r.URL.Path) {
		return admin.Caller{}, false
	}
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return admin.Caller{}, false
	}
	s, err := a.Sealer.Open(ck.Value, a.Now())
	if err != nil {
		return admin.Caller{}, false
	}
	return admin.Caller{Kind: admin.CallerConsole, ID: s.Actor()}, true
}

// SignInGate is the admin Server's Authorizer for the console's way in:
// the sign-in page and form (GET and POST /admin/signin), and GET /admin
// (which sends a browser without a session there), pass without a
// credential, as an anonymous caller that no other handler accepts.
type SignInGate struct{}

// callerSigningIn is the kind of caller SignInGate lets through.
const callerSigningIn = "console-signing-in"

// Authorize implements admin.Authorizer.
func (SignInGate) Authorize(r *http.Request) (admin.Caller, bool) {
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch r.URL.Path {
	case Path + "/signin":
		if !get && r.Method != http.MethodPost {
			return admin.Caller{}, false
		}
	case Path, Path + "/":
		if !get {
			return admin.Caller{}, false
		}
	default:
		return admin.Caller{}, false
	}
	return admin.Caller{Kind: callerSigningIn}, true
}

// signedIn returns the console administrator's name if ctx is a console
// request signed in with the cookie (not the bearer token, not the gate).
func signedIn(ctx context.Context) (string, bool) {
	c := admin.CallerFrom(ctx)
	if c.Kind != admin.CallerConsole {
		return "", false
	}
	name, ok := strings.CutPrefix(c.ID, "console:")
	return name, ok && ValidName(name)
}
