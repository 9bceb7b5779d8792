package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/signin"
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
func (s *Server) endSessionEndpoint(w http.ResponseWriter, r *http.Request) (reply, error) {
	p, err := browserForm(w, r)
	if err != nil {
		return nil, onPage("", err)
	}
	loc := p.Get("ui_locales")
	bad := func(msg string) (reply, error) {
		return nil, onPage(loc, &authorize.PageError{Code: oautherr.InvalidRequest, Message: msg})
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
	cookie := sessionCookieValue(r)
	sess, _, err := s.signin.Session(r.Context(), cookie)
	if err != nil {
		return nil, onPage(loc, oautherr.Server(err))
	}
	if sess != nil {
		proven := signin.HintProves(hint, sess)
		confirmed := r.Method == http.MethodPost && p.Get("confirm") == "yes" && s.CSRF.Valid(r, "logout", p.Get("csrf"))
		if !proven && !confirmed {
			hidden := map[string]string{"confirm": "yes", "csrf": s.CSRF.Token(w, r, "logout")}
			for _, k := range logoutParams {
				if v := p.Get(k); v != "" {
					hidden[k] = v
				}
			}
			lp := web.LogoutPage{Lang: s.lang(r, loc), Action: s.prefix + PathEndSession, Hidden: hidden, ClientName: clientName(c), RedirectURI: redirect}
			return page(func(w http.ResponseWriter) error { return s.Pages.LogoutConfirm(w, lp) }), nil
		}
		var named *mint.IDTokenHint // a hint that names this session names a client in it
		if proven {
			named = hint
		}
		if err := s.signOut(w, r, cookie, sess, named); err != nil {
			return nil, onPage(loc, oautherr.Server(err))
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
		return backTo(target), nil
	}
	lp := web.LoggedOutPage{Lang: s.lang(r, loc), ClientName: clientName(c)}
	return page(func(w http.ResponseWriter) error { return s.Pages.LoggedOut(w, lp) }), nil
}

// SessionNotifier sends back-channel logout tokens (OIDC Back-Channel
// Logout 1.0 §2.7) to clients for a session that ended.
type SessionNotifier interface {
	SessionEnded(ctx context.Context, clients []*config.Client, subject, sid string)
}

// signOut ends the browser's session (signin.Service.SignOut decides which
// grants to revoke and which clients to tell), tells those clients by
// back-channel logout and deletes the session's cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, cookie string, sess *store.Session, hint *mint.IDTokenHint) error {
	ctx := r.Context()
	tell, err := s.signin.SignOut(ctx, cookie, sess, hint, s.everyClient())
	if len(tell) > 0 && s.Logout != nil {
		s.Logout.SessionEnded(ctx, tell, sess.Subject, sess.SID)
	}
	if err != nil {
		return err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "signed out", slog.String("subject", sess.Subject), slog.String("sid", sess.SID),
		slog.Int("backchannel_logouts", len(tell)))
	s.setSessionCookie(w, "", time.Time{})
	return nil
}
