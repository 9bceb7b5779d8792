package account

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// The account page's paths below the issuer's path, and the endpoints it
// sends the browser to (their Duende IdentityServer names, as the
// discovery document publishes them).
const (
	PathAccount    = "/account"
	pathCallback   = config.AccountCallbackPath
	pathRemove     = "/account/remove"
	pathForget     = "/account/forget"
	pathSignOut    = "/account/signout"
	pathAuthorize  = "/connect/authorize"
	pathEndSession = "/connect/endsession"
)

// Lifetimes: the account cookie is short-lived (a person comes, looks,
// removes, leaves; after it the usual single sign-on signs them in again
// without a password while their Tollgate session lasts), and a sign-in in
// flight lasts as long as a person may take at the login page.
const (
	CookieLifetime  = 15 * time.Minute
	pendingLifetime = 10 * time.Minute
)

// Deps is what the account page calls into.
type Deps struct {
	Config  *config.Config // the issuer and the built-in client
	Service *Service
	Grants  Redeemer // the code exchange, in process
	Keys    KeySet   // to verify the ID token
	Pages   *web.Renderer
	CSRF    *web.CSRF
	// CookieKey MACs the account cookies: a key derived from the system
	// secret for this purpose alone, at least 32 bytes (New refuses less).
	CookieKey []byte
	// Live returns the person of the browser's Tollgate session when it is
	// still the one the account cookie was made in (its sid), and nil when
	// not, so that signing out of Tollgate, anywhere, ends the account page
	// at its next request too; the page greets the person it returns.
	// Nil: the account cookie alone decides, and the page greets nobody by
	// name (tests of the page alone).
	Live func(r *http.Request, sid string) (*config.User, error)
	Now  func() time.Time
	Log  *slog.Logger
}

// Handler serves /account and below.
type Handler struct {
	Deps
	issuer  string
	prefix  string
	client  *config.Client
	cookies cookies
}

// New builds the handler; the configuration must have the page on.
func New(d Deps) (*Handler, error) {
	cl := d.Config.AccountClient()
	if cl == nil {
		return nil, errors.New("account: account.enabled is false")
	}
	// cookies.get refuses every cookie under a shorter key, so the page
	// would send every visit to sign in again, round and round.
	if len(d.CookieKey) < minCookieKey {
		return nil, fmt.Errorf("account: the cookie key has %d bytes, want at least %d", len(d.CookieKey), minCookieKey)
	}
	u, err := url.Parse(d.Config.Issuer)
	if err != nil {
		return nil, err
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	issuer := strings.TrimSuffix(d.Config.Issuer, "/")
	prefix := strings.TrimSuffix(u.Path, "/")
	return &Handler{Deps: d, issuer: issuer, prefix: prefix, client: cl,
		cookies: cookies{key: d.CookieKey, secure: strings.HasPrefix(issuer, "https://"), path: prefix + PathAccount}}, nil
}

// ServeHTTP routes the account page's requests.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, h.prefix)
	post := map[string]func(http.ResponseWriter, *http.Request, signedIn, web.Lang){
		pathRemove: h.remove, pathForget: h.forget, pathSignOut: h.signOut,
	}
	lang := web.PickLang(r.URL.Query().Get("ui_locales"), r.Header.Get("Accept-Language"))
	switch {
	case path == PathAccount || path == PathAccount+"/":
		if !h.method(w, r, lang, http.MethodGet, http.MethodHead) {
			return
		}
		h.page(w, r, lang)
	case path == pathCallback:
		if !h.method(w, r, lang, http.MethodGet) {
			return
		}
		h.callback(w, r, lang)
	case post[path] != nil:
		if !h.method(w, r, lang, http.MethodPost) {
			return
		}
		who, _, ok := h.signedIn(r)
		if !ok { // not (or no longer) signed in: nothing to do but sign in
			http.Redirect(w, r, h.prefix+PathAccount, http.StatusSeeOther)
			return
		}
		// CSRF: the token is bound to this person's sign-in, so neither a
		// form of another person nor one from before a sign-out serves.
		if !h.CSRF.Valid(r, binding(who), r.PostFormValue("csrf")) {
			h.fail(w, lang, http.StatusForbidden, "invalid_request", "the form is out of date or was not sent from this page; open the account page again")
			return
		}
		post[path](w, r, who, lang)
	default:
		h.fail(w, lang, http.StatusNotFound, "not_found", "no such page")
	}
}

func (h *Handler) method(w http.ResponseWriter, r *http.Request, lang web.Lang, allowed ...string) bool {
	for _, m := range allowed {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	h.fail(w, lang, http.StatusMethodNotAllowed, "invalid_request", "use "+allowed[0])
	return false
}

func binding(who signedIn) string { return "account:" + who.Sub + ":" + who.SID }

// signedIn is the account cookie's sign-in, and its person when Live
// gave them (nil when Live is nil).
func (h *Handler) signedIn(r *http.Request) (signedIn, *config.User, bool) {
	var s signedIn
	if !h.cookies.get(r, cookieName, &s, h.Now()) || s.Sub == "" {
		return s, nil, false
	}
	if h.Live == nil {
		return s, nil, true
	}
	u, err := h.Live(r, s.SID)
	if err != nil {
		// The store cannot say: treat the person as signed out; signing
		// in again meets the store's trouble on the usual try-again page.
		h.Log.Warn("account: the Tollgate session could not be checked", "error", err)
	}
	return s, u, u != nil && err == nil
}

// page shows the person's applications and consents, or starts the sign-in.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, lang web.Lang) {
	who, u, ok := h.signedIn(r)
	if !ok {
		p := pending{State: random(), Nonce: random(), Verifier: random(), Exp: h.Now().Add(pendingLifetime).Unix(),
			Next: r.URL.Query().Get("ui_locales")}
		h.cookies.set(w, pendingCookie, p, pendingLifetime)
		http.Redirect(w, r, authorizeURL(h.issuer, h.client, p, p.Next), http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	apps, next, err := h.Service.Apps(r.Context(), who.Sub, q.Get("after"))
	if errors.Is(err, store.ErrBadCursor) {
		h.fail(w, lang, http.StatusBadRequest, "invalid_request", "the after parameter is not a cursor this page gave")
		return
	}
	if err != nil {
		h.broken(w, r, lang, err)
		return
	}
	consents, err := h.Service.Consents(r.Context(), who.Sub)
	if err != nil {
		h.broken(w, r, lang, err)
		return
	}
	// A language asked for by ui_locales rides on the forms' actions, so
	// the answer to a removal (and its redirect back) keeps it.
	keep := ""
	if q.Get("ui_locales") != "" {
		keep = "?" + url.Values{"ui_locales": {string(lang)}}.Encode()
	}
	d := web.AccountPage{Lang: lang, Username: username(u),
		Hidden:       map[string]string{"csrf": h.CSRF.Token(w, r, binding(who))},
		RemoveAction: h.prefix + pathRemove + keep, ForgetAction: h.prefix + pathForget + keep, SignOutURL: h.prefix + pathSignOut + keep}
	// The notices name only a client that exists: a link cannot make the
	// page say that an invented name lost access.
	if name, ok := h.Service.Known(q.Get("removed")); ok {
		d.Removed = name
	}
	if name, ok := h.Service.Known(q.Get("forgot")); ok {
		d.Forgotten = name
	}
	for _, a := range apps {
		d.Apps = append(d.Apps, web.AccountApp{GrantID: a.ID, Name: a.Name, ClientID: a.ClientID, Scopes: a.Scopes,
			Granted: a.CreatedAt, LastUsed: a.LastUsed, From: a.RemoteAddr,
			Session: SessionLabel(a.SessionID), ThisBrowser: a.SessionID != "" && a.SessionID == who.SID})
	}
	for _, c := range consents {
		d.Consents = append(d.Consents, web.AccountConsent{ClientID: c.ClientID, Name: c.Name, Scopes: c.Scopes, Since: c.CreatedAt})
	}
	if next != "" {
		v := url.Values{"after": {next}}
		if l := q.Get("ui_locales"); l != "" {
			v.Set("ui_locales", l)
		}
		d.NextURL = h.prefix + PathAccount + "?" + v.Encode()
	}
	if err := h.Pages.Account(w, d); err != nil {
		h.Log.LogAttrs(r.Context(), slog.LevelError, "account page", slog.Any("error", err))
	}
}

// username is what to greet u, the person Live gave, by ("" for nil).
func username(u *config.User) string {
	if u == nil {
		return ""
	}
	if n, ok := u.Claims["name"].(string); ok && n != "" {
		return n
	}
	return u.Username
}

// remove revokes one of the person's grants.
func (h *Handler) remove(w http.ResponseWriter, r *http.Request, who signedIn, lang web.Lang) {
	ctx := audit.WithActor(r.Context(), audit.ActorUser, who.Sub)
	g, err := h.Service.Remove(ctx, who.Sub, r.PostFormValue("grant"))
	if errors.Is(err, ErrNotYours) {
		h.fail(w, lang, http.StatusNotFound, "not_found", "no such access of yours; it may already have been removed")
		return
	}
	if err != nil {
		h.broken(w, r, lang, err)
		return
	}
	h.back(w, r, "removed", g.ClientID)
}

// forget removes one of the person's remembered consents.
func (h *Handler) forget(w http.ResponseWriter, r *http.Request, who signedIn, lang web.Lang) {
	client := r.PostFormValue("client")
	err := h.Service.Forget(r.Context(), who.Sub, client)
	if errors.Is(err, ErrNotYours) {
		h.fail(w, lang, http.StatusNotFound, "not_found", "no such remembered consent of yours")
		return
	}
	if err != nil {
		h.broken(w, r, lang, err)
		return
	}
	h.Log.LogAttrs(r.Context(), slog.LevelInfo, "consent forgotten", slog.Bool("audit", true),
		slog.String("event", "consent_forgotten"), slog.String("sub", who.Sub), slog.String("client_id", client))
	h.back(w, r, "forgot", client)
}

// signOut ends the account page's own cookie, and offers the end-session
// endpoint for signing out of Tollgate in this browser.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, _ signedIn, lang web.Lang) {
	h.cookies.clear(w, cookieName)
	_ = h.Pages.AccountSignedOut(w, web.AccountSignedOutPage{Lang: lang, AccountURL: h.prefix + PathAccount,
		EndSession: h.prefix + pathEndSession})
}

// back answers a POST with 303 to the page (Post/Redirect/Get), which then
// says what happened.
func (h *Handler) back(w http.ResponseWriter, r *http.Request, what, clientID string) {
	v := url.Values{what: {clientID}}
	if l := r.URL.Query().Get("ui_locales"); l != "" {
		v.Set("ui_locales", l)
	}
	http.Redirect(w, r, h.prefix+PathAccount+"?"+v.Encode(), http.StatusSeeOther)
}

func (h *Handler) fail(w http.ResponseWriter, lang web.Lang, status int, code, msg string) {
	_ = h.Pages.Error(w, status, web.ErrorPage{Lang: lang, Code: code, Message: msg})
}

func (h *Handler) broken(w http.ResponseWriter, r *http.Request, lang web.Lang, err error) {
	h.Log.LogAttrs(r.Context(), slog.LevelError, "account page", slog.Any("error", err))
	status := http.StatusInternalServerError
	if store.Unavailable(err) || oautherr.As(err).Status == http.StatusServiceUnavailable {
		status = http.StatusServiceUnavailable
	}
	h.fail(w, lang, status, "server_error", "the page could not be shown; try again shortly")
}

// callback finishes the sign-in: the state of this browser's sign-in, the
// code redeemed in process with the PKCE verifier, the ID token verified,
// and the account cookie set (OpenID Connect Core §3.1.2.5-§3.1.3.7).
func (h *Handler) callback(w http.ResponseWriter, r *http.Request, lang web.Lang) {
	var p pending
	if !h.cookies.get(r, pendingCookie, &p, h.Now()) {
		h.fail(w, lang, http.StatusBadRequest, "invalid_request", "this sign-in to the account page is unknown or expired; open the account page again")
		return
	}
	if p.Next != "" {
		lang = web.PickLang(p.Next, r.Header.Get("Accept-Language"))
	}
	q := r.URL.Query()
	// RFC 6749 §10.12: the state ties the response to this browser's request.
	if q.Get("state") != p.State {
		h.fail(w, lang, http.StatusBadRequest, "invalid_request", "the response does not belong to this browser's sign-in (state)")
		return
	}
	h.cookies.clear(w, pendingCookie) // one response per sign-in
	if e := q.Get("error"); e != "" {
		h.fail(w, lang, http.StatusBadRequest, e, q.Get("error_description"))
		return
	}
	// RFC 9207 §2.4: the response names its issuer.
	if iss := q.Get("iss"); iss != "" && iss != h.issuer {
		h.fail(w, lang, http.StatusBadRequest, "invalid_request", "the response names another issuer")
		return
	}
	resp, err := h.Grants.Exchange(r.Context(), grant.Request{GrantType: grant.TypeAuthorizationCode, Client: h.client,
		Code: q.Get("code"), RedirectURI: h.client.RedirectURIs[0], CodeVerifier: p.Verifier})
	if err != nil {
		// The server's own trouble (the store unavailable, a bug) is a
		// 5xx, not the person's mistake; a code refused is theirs to retry.
		if oautherr.As(err).Status >= http.StatusInternalServerError {
			h.broken(w, r, lang, err)
			return
		}
		h.Log.LogAttrs(r.Context(), slog.LevelWarn, "account sign-in: code exchange", slog.Any("error", err))
		h.fail(w, lang, http.StatusBadRequest, "invalid_grant", "the sign-in could not be completed; open the account page again")
		return
	}
	// The ID token comes from this server's own token endpoint, in
	// process: one that does not verify is the server's fault.
	id, err := verifyIDToken(resp.IDToken, h.Keys, h.issuer, h.client.ID, p.Nonce, h.Now())
	if err != nil {
		h.broken(w, r, lang, err)
		return
	}
	h.cookies.set(w, cookieName, signedIn{Sub: id.Sub, SID: id.SID, Exp: h.Now().Add(CookieLifetime).Unix()}, CookieLifetime)
	to := h.prefix + PathAccount
	if p.Next != "" {
		to += "?" + url.Values{"ui_locales": {p.Next}}.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
