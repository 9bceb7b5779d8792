package web

import (
	"fmt"
	"net/http"
	"time"
)

// The account page (/account, internal/account): the applications holding
// offline access for the signed-in person, and their remembered consents.
// Its template is account.html; its texts are in account_text.go.
func init() { pageNames = append(pageNames, "account", "accountout") }

// AccountPage is the data of a person's own page.
type AccountPage struct {
	Lang     Lang
	Username string // who is signed in (name, else username, else subject)
	// Hidden go in every form: the CSRF token (bound to this person's
	// account cookie), rendered in sorted key order.
	Hidden       map[string]string
	RemoveAction string // POST grant=<id>: revoke that grant
	ForgetAction string // POST client=<id>: forget that consent
	SignOutURL   string // POST: end the account page's own cookie
	Apps         []AccountApp
	Consents     []AccountConsent
	// NextURL, when set, links the next page of applications.
	NextURL string
	// Removed names the application whose access was just removed, and
	// Forgotten the one whose consent was forgotten.
	Removed, Forgotten string
}

// AccountApp is one application holding offline access (one live grant).
type AccountApp struct {
	GrantID  string
	Name     string   // the client's name, else its id
	ClientID string   // shown small when Name is the client's own name
	Scopes   []string // the grant's scopes, described like the consent page does
	Granted  time.Time
	LastUsed time.Time // the newest refresh token's issue time
	From     string    // the address of the last use, approximate
	// Session is a short label of the browser session the grant came from
	// ("" for a grant made without a browser, e.g. the password grant);
	// ThisBrowser says it is the session this page is open in.
	Session     string
	ThisBrowser bool
}

// AccountConsent is one remembered consent.
type AccountConsent struct {
	ClientID, Name string
	Scopes         []string
	Since          time.Time
}

// accountView is what account.html sees beside the page: each app with its
// scopes described and its times in the page's language.
type accountView struct {
	AccountPage
	Items    []accountItem
	Remember []consentItem
}

type accountItem struct {
	AccountApp
	Described             []scopeItem
	GrantedText, UsedText string
	ShowClientID          bool
}

type consentItem struct {
	AccountConsent
	Described []scopeItem
	SinceText string
}

// Account renders the account page with status 200. Its forms post to the
// server itself only.
func (r *Renderer) Account(w http.ResponseWriter, d AccountPage) error {
	v := newView(d.Lang, nil)
	av := accountView{AccountPage: d}
	for _, a := range d.Apps {
		av.Items = append(av.Items, accountItem{AccountApp: a, Described: scopeItems(v.T, a.Scopes),
			GrantedText: when(v.Lang, a.Granted), UsedText: when(v.Lang, a.LastUsed), ShowClientID: a.Name != a.ClientID})
	}
	for _, c := range d.Consents {
		av.Remember = append(av.Remember, consentItem{AccountConsent: c, Described: scopeItems(v.T, c.Scopes), SinceText: when(v.Lang, c.Since)})
	}
	v.P = av
	return r.render(w, http.StatusOK, "account", policy([]string{"'self'"}, false), v)
}

// AccountSignedOutPage is the data of "You left your account page".
type AccountSignedOutPage struct {
	Lang       Lang
	AccountURL string // sign in to the account page again
	EndSession string // the end-session endpoint: sign out of Tollgate in this browser
}

// AccountSignedOut renders the page shown after leaving the account page.
func (r *Renderer) AccountSignedOut(w http.ResponseWriter, d AccountSignedOutPage) error {
	return r.render(w, http.StatusOK, "accountout", policy([]string{"'self'"}, false), newView(d.Lang, d))
}

var monthsNB = [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"}

// when writes a time as people read it, in UTC (the server does not know the
// reader's zone): "3 December 2026, 14:05 UTC", "3. desember 2026 kl. 14.05 UTC".
func when(l Lang, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if l == NB {
		return fmt.Sprintf("%d. %s %d kl. %02d.%02d UTC", t.Day(), monthsNB[t.Month()-1], t.Year(), t.Hour(), t.Minute())
	}
	return t.Format("2 January 2006, 15:04 UTC")
}
