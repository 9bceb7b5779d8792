package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// UnavailablePage is the data of the "try again shortly" page, shown when
// the server cannot reach its store for a moment (a database restarting, a
// failover). Nothing went wrong with the user's request, so the page says
// so and offers to repeat it rather than sending the user back to the app.
type UnavailablePage struct {
	Lang Lang
	// RetryAfter, in seconds, is sent as the Retry-After header (RFC 9110
	// §10.2.3); 0 sends none.
	RetryAfter int
	// RetryURL, when set, is a "Try again" link: the path and query of the
	// request that failed, for a GET only (repeating a POST is the
	// browser's to offer). Only a path on this server is accepted.
	RetryURL string
}

// Unavailable renders the "try again shortly" page with status 503.
func (r *Renderer) Unavailable(w http.ResponseWriter, d UnavailablePage) error {
	v := newView(d.Lang, d)
	if d.RetryURL != "" {
		if !localPath(d.RetryURL) {
			return fmt.Errorf("web: retry link %q is not a path on this server", d.RetryURL)
		}
		v.URL = template.URL(d.RetryURL)
	}
	if d.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
	return r.render(w, http.StatusServiceUnavailable, "unavailable", policy([]string{"'self'"}, false), v)
}

// localPath reports whether s is an absolute path on this origin: it starts
// with one "/" and cannot be read as a network-path reference ("//host",
// or "/\host", which browsers treat alike).
func localPath(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/\\") &&
		!strings.ContainsAny(s, "\r\n\t")
}
