package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// LoginPage is the data of the sign-in form.
type LoginPage struct {
	Lang       Lang
	ClientName string            // who is asking (may be empty)
	Action     string            // form action URL (POST)
	Hidden     map[string]string // hidden inputs (request id, CSRF token), rendered in sorted key order
	Username   string            // prefill (login_hint, or after a failed attempt)
	// Failed shows one neutral message: it never tells whether the user exists.
	Failed bool
	// Throttled says sign-ins are refused for a while (too many failures, or
	// the server is busy): the page answers 429 and asks the user to wait.
	// Like Failed, it never tells whether the user exists.
	Throttled bool
	// RedirectURI, when set, is the redirect_uri this POST may end in (when
	// consent is already given); its origin joins form-action, see doc.go.
	RedirectURI string
}

// Login renders the sign-in form with status 200.
func (r *Renderer) Login(w http.ResponseWriter, d LoginPage) error {
	csp, err := selfPolicy(d.RedirectURI)
	if err != nil {
		return err
	}
	v := newView(d.Lang, d)
	v.Client = d.ClientName
	status := http.StatusOK
	if d.Throttled {
		status = http.StatusTooManyRequests // RFC 6585 §4
	}
	return r.render(w, status, "login", csp, v)
}

// ConsentPage is the data of the consent form.
type ConsentPage struct {
	Lang       Lang
	ClientName string
	ClientID   string
	Username   string // who is signed in
	Action     string
	Hidden     map[string]string
	Scopes     []string // requested scopes; the standard ones are described, others shown by name
	// Offline: offline_access was requested, so say in plain words that the
	// app keeps access while the user is away, until revoked.
	Offline bool
	// RedirectURI is the redirect_uri the answer goes to; its origin joins
	// form-action, see doc.go. Set it, or Chromium blocks the redirect.
	RedirectURI string
}

// Consent renders the consent form with status 200. The form posts
// consent=allow or consent=deny, and remember=yes when the box is ticked.
func (r *Renderer) Consent(w http.ResponseWriter, d ConsentPage) error {
	csp, err := selfPolicy(d.RedirectURI)
	if err != nil {
		return err
	}
	v := newView(d.Lang, d)
	v.Client = firstNonEmpty(d.ClientName, d.ClientID, v.T["unknown_app"])
	v.Scopes = scopeItems(v.T, d.Scopes)
	return r.render(w, http.StatusOK, "consent", csp, v)
}

// standardScopes are the scopes of OpenID Connect Core §5.4 and §11 that the
// text table describes; any other scope is shown by its name.
var standardScopes = map[string]bool{
	"openid": true, "profile": true, "email": true, "address": true, "phone": true, "offline_access": true,
}

type scopeItem struct {
	Title, Desc string
	Known       bool
}

func scopeItems(t map[string]string, scopes []string) []scopeItem {
	seen := make(map[string]bool, len(scopes))
	var items []scopeItem
	for _, s := range scopes {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		if standardScopes[s] {
			items = append(items, scopeItem{Title: t["scope_"+s], Desc: t["scope_"+s+"_desc"], Known: true})
		} else {
			items = append(items, scopeItem{Title: s, Desc: t["scope_other_desc"]})
		}
	}
	return items
}

// ErrorPage is the data of an error shown in the browser, when the request
// cannot be sent back to a client (RFC 6749 §4.1.2.1: never redirect to an
// unverified redirect_uri).
type ErrorPage struct {
	Lang    Lang
	Code    string // e.g. invalid_request, shown small
	Message string // for a developer: what was wrong
}

// Error renders an error page with the given status.
func (r *Renderer) Error(w http.ResponseWriter, status int, d ErrorPage) error {
	if status < 100 || status > 999 {
		return fmt.Errorf("web: invalid status %d", status)
	}
	return r.render(w, status, "error", policy([]string{"'self'"}, false), newView(d.Lang, d))
}

// LogoutPage is the data of the "Sign out of Tollgate?" confirmation
// (OpenID Connect RP-Initiated Logout 1.0 §2: ask the user).
type LogoutPage struct {
	Lang       Lang
	Action     string
	Hidden     map[string]string
	ClientName string
	// RedirectURI is the post_logout_redirect_uri the POST may redirect to;
	// its origin joins form-action, see doc.go.
	RedirectURI string
}

// LogoutConfirm renders the sign-out confirmation with status 200.
func (r *Renderer) LogoutConfirm(w http.ResponseWriter, d LogoutPage) error {
	csp, err := selfPolicy(d.RedirectURI)
	if err != nil {
		return err
	}
	v := newView(d.Lang, d)
	v.Client = d.ClientName
	return r.render(w, http.StatusOK, "logout", csp, v)
}

// LoggedOutPage is the data of the "You are signed out" page.
type LoggedOutPage struct {
	Lang        Lang
	ClientName  string
	RedirectURI string // when set, a "Return to <client>" link; never followed automatically
}

// LoggedOut renders the signed-out page with status 200.
func (r *Renderer) LoggedOut(w http.ResponseWriter, d LoggedOutPage) error {
	v := newView(d.Lang, d)
	v.Client = d.ClientName
	if d.RedirectURI != "" {
		link, err := safeLink(d.RedirectURI)
		if err != nil {
			return err
		}
		v.URL = link
	}
	return r.render(w, http.StatusOK, "loggedout", policy([]string{"'self'"}, false), v)
}

// FormPostPage is the data of the OAuth 2.0 Form Post Response Mode page.
type FormPostPage struct {
	Lang   Lang
	Action string            // the client's redirect_uri
	Params map[string]string // the authorization response (code, state, …)
}

// FormPost renders the OAuth 2.0 Form Post Response Mode page (§2): a form
// that POSTs Params to Action and submits itself on load, with a visible
// Continue button when JavaScript is off. form-action admits only Action's
// origin, and script-src only the one auto-submit script.
func (r *Renderer) FormPost(w http.ResponseWriter, d FormPostPage) error {
	src, err := formSource(d.Action)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(src, "http:") && !strings.HasPrefix(src, "https:") {
		return fmt.Errorf("web: form post target %q is not an http(s) URL", d.Action)
	}
	v := newView(d.Lang, d)
	v.JS = template.JS(formPostJS)
	return r.render(w, http.StatusOK, "formpost", policy([]string{src}, true), v)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
