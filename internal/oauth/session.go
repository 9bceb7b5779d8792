package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// sessionCookie holds a random 256-bit value; the store keeps its hash, so
// any node can serve any request and a database copy opens no session.
const sessionCookie = "tollgate_session"

// randomValue is a fresh 256-bit secret (cookie values, request handles).
func randomValue() string { return secret.Generate() }

// secureCookies: cookies are Secure whenever the issuer is https.
func (s *Server) secureCookies() bool { return strings.HasPrefix(s.issuer, "https://") }

func (s *Server) cookiePath() string {
	if s.prefix == "" {
		return "/"
	}
	return s.prefix + "/"
}

// currentSession returns the browser's live session and its user, or nils
// when there is none, it expired, or its user was removed or disabled.
func (s *Server) currentSession(r *http.Request) (*store.Session, *config.User, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil, nil, nil
	}
	sess, err := s.Store.Session(r.Context(), mint.HashToken(ck.Value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.Now().Before(sess.ExpiresAt) {
		return nil, nil, nil
	}
	u, err := s.Grants.Users.UserBySubject(r.Context(), sess.Subject)
	if err != nil {
		return nil, nil, err
	}
	if u == nil || u.Disabled {
		return nil, nil, nil
	}
	return &sess, u, nil
}

// startSession signs a user in: a new session in the store and its cookie
// (HttpOnly, SameSite=Lax, Secure on https). A session cookie of the browser
// that existed before is replaced, never reused (session fixation).
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *config.User, amr []string) (store.Session, error) {
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" && len(old.Value) <= 100 {
		if err := s.Store.DeleteSession(ctx, mint.HashToken(old.Value)); err != nil {
			return store.Session{}, err
		}
	}
	now := s.Now()
	val := randomValue()
	sess := store.Session{
		ID: mint.HashToken(val), SID: mint.NewID(), Subject: u.Subject,
		AuthTime: now, AMR: amr, CreatedAt: now, ExpiresAt: now.Add(s.Config.Session.Lifetime),
	}
	// The trail's sign_in, written with the session (one transaction).
	ev := audit.Event(ctx, now, s.Node, store.EventSignIn)
	ev.ClientID = reqlog.ClientID(ctx)
	if err := s.Store.CreateSession(ctx, sess, audit.By(ctx, ev, audit.ActorUser, u.Subject)); err != nil {
		return sess, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: val, Path: s.cookiePath(), HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode, Expires: sess.ExpiresAt,
	})
	return sess, nil
}

// clearSession deletes the browser's session and its cookie.
func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) error {
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.Store.DeleteSession(r.Context(), mint.HashToken(ck.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: s.cookiePath(), HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode, MaxAge: -1,
	})
	return nil
}
