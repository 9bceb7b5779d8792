package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// logoutParams are the parameters of RP-initiated logout carried through
// the confirmation form.
var logoutParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"}

// endSessionEndpoint is OpenID Connect RP-Initiated Logout 1.0: it ends the
// browser session. Refresh tokens granted for offline access outlive the
// session by design; a client with revoke_on_logout has its grants of this
// session revoked. Without an id_token_hint that proves which session the
// client means, the user confirms first (§2: protection against forged
// logout requests).
func (s *Server) endSessionEndpoint(w http.ResponseWriter, r *http.Request) error {
	p, err := browserForm(w, r)
	if err != nil {
		return s.pageError(w, r, "", err)
	}
	loc := p.Get("ui_locales")
	bad := func(msg string) error {
		return s.pageError(w, r, loc, &authorize.PageError{Code: oautherr.InvalidRequest, Message: msg})
	}
	var hint *mint.IDTokenHint
	if raw := p.Get("id_token_hint"); raw != "" {
		h, err := s.Minter.VerifyIDTokenHint(raw)
		if err != nil {
			return bad("id_token_hint is not an ID token issued by this server")
		}
		hint = &h
	}
	clientID := p.Get("client_id")
	if hint != nil {
		if clientID != "" && clientID != hint.ClientID {
			return bad("client_id does not match the audience of id_token_hint")
		}
		clientID = hint.ClientID
	}
	var c *config.Client
	if clientID != "" {
		var ok bool
		if c, ok = s.Clients.Client(clientID); !ok {
			return bad("there is no client " + clientID)
		}
	}
	redirect := p.Get("post_logout_redirect_uri")
	if redirect != "" {
		if c == nil {
			return bad("post_logout_redirect_uri needs id_token_hint or client_id to say which client it belongs to")
		}
		if !slices.Contains(c.PostLogoutRedirectURIs, redirect) {
			return bad("post_logout_redirect_uri " + redirect + " is not registered for client " + c.ID)
		}
	}
	sess, _, err := s.currentSession(r)
	if err != nil {
		return s.pageError(w, r, loc, oautherr.Server(err))
	}
	if sess != nil {
		proven := hintProvesSession(hint, sess)
		confirmed := r.Method == http.MethodPost && p.Get("confirm") == "yes" && s.CSRF.Valid(r, "logout", p.Get("csrf"))
		if !proven && !confirmed {
			hidden := map[string]string{"confirm": "yes", "csrf": s.CSRF.Token(w, r, "logout")}
			for _, k := range logoutParams {
				if v := p.Get(k); v != "" {
					hidden[k] = v
				}
			}
			noStore(w)
			return s.Pages.LogoutConfirm(w, web.LogoutPage{Lang: s.lang(r, loc), Action: s.prefix + PathEndSession, Hidden: hidden, ClientName: clientName(c), RedirectURI: redirect})
		}
		var named *mint.IDTokenHint // a hint that names this session names a client in it
		if proven {
			named = hint
		}
		if err := s.signOut(w, r, sess, named); err != nil {
			return s.pageError(w, r, loc, oautherr.Server(err))
		}
	}
	if redirect != "" {
		q := url.Values{}
		if st := p.Get("state"); st != "" {
			q.Set("state", st)
		}
		target := redirect
		if len(q) > 0 {
			target = authorize.RedirectURL(redirect, authorize.ModeQuery, q)
		}
		http.Redirect(w, r, target, http.StatusFound)
		return nil
	}
	noStore(w)
	return s.Pages.LoggedOut(w, web.LoggedOutPage{Lang: s.lang(r, loc), ClientName: clientName(c)})
}

// hintProvesSession: an id_token_hint stands for the user's consent to a
// logout only when it names this very session by its sid (Back-Channel
// Logout §2.4 defines sid; RP-Initiated Logout §2 and §6 ask the OP to ask
// the user when the request may not come from the RP). An ID token without
// sid (every password-grant ID token) names no session: any site holding
// one could otherwise log the user out by a top-level navigation.
func hintProvesSession(hint *mint.IDTokenHint, sess *store.Session) bool {
	return hint != nil && hint.SessionID != "" && hint.SessionID == sess.SID && hint.Subject == sess.Subject
}

// SessionNotifier sends back-channel logout tokens (OIDC Back-Channel
// Logout 1.0 §2.7) to clients for a session that ended.
type SessionNotifier interface {
	SessionEnded(ctx context.Context, clients []*config.Client, subject, sid string)
}

// signOut ends a session, revoking the grants of clients that ask for it,
// and sends a back-channel logout to each client with a
// backchannel_logout_uri that is known to have signed in with this
// session: the one whose id_token_hint named it (hint, nil when none
// did), and each revoke_on_logout client that held a grant of it. The
// store keeps no list of a session's clients, and a logout token sent to
// every configured client would tell each one that the user exists and
// signed out: the others are not told.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, sess *store.Session, hint *mint.IDTokenHint) error {
	ctx := r.Context()
	var tell []*config.Client
	for _, cl := range s.everyClient() {
		inSession := hint != nil && hint.ClientID == cl.ID
		if cl.RevokeOnLogout {
			n, err := s.Refresh.RevokeMatchingBy(ctx, store.GrantFilter{ClientID: cl.ID, SessionID: sess.SID}, refresh.ByLogout)
			if err != nil {
				return err
			}
			inSession = inSession || n > 0
		}
		if inSession && cl.BackchannelLogoutURI != "" {
			tell = append(tell, cl)
		}
	}
	if len(tell) > 0 && s.Logout != nil {
		s.Logout.SessionEnded(ctx, tell, sess.Subject, sess.SID)
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "signed out", slog.String("subject", sess.Subject), slog.String("sid", sess.SID),
		slog.Int("backchannel_logouts", len(tell)))
	return s.clearSession(w, r)
}
