package signin

import (
	"context"
	"errors"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A session cookie holds a random 256-bit value; the store keeps its hash,
// so any node can serve any request and a database copy opens no session.
// A value longer than this is no cookie of ours: not looked up.
const maxCookie = 100

// Session returns the live session of a cookie value and its user, or nils
// when there is none, it expired, or its user was removed or disabled.
func (s *Service) Session(ctx context.Context, cookie string) (*store.Session, *config.User, error) {
	if cookie == "" || len(cookie) > maxCookie {
		return nil, nil, nil
	}
	sess, err := s.Store.Session(ctx, mint.HashToken(cookie))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// A session lives until ExpiresAt, not at it.
	if !s.Now().Before(sess.ExpiresAt) {
		return nil, nil, nil
	}
	u, err := s.Users.UserBySubject(ctx, sess.Subject)
	if err != nil {
		return nil, nil, err
	}
	if u == nil || u.Disabled {
		return nil, nil, nil
	}
	return &sess, u, nil
}

// Start signs u in with the methods amr (RFC 8176) and returns the new
// session and the cookie value that names it. The session of the browser's
// previous cookie (old, "" when none) is deleted first, never reused
// (session fixation). The trail's sign_in is written with the session, in
// one transaction, naming the client the user signs in to
// (reqlog.SetClient on ctx).
func (s *Service) Start(ctx context.Context, old string, u *config.User, amr []string) (store.Session, string, error) {
	if old != "" && len(old) <= maxCookie {
		if err := s.Store.DeleteSession(ctx, mint.HashToken(old)); err != nil {
			return store.Session{}, "", err
		}
	}
	now := s.Now()
	val := secret.Generate()
	sess := store.Session{
		ID: mint.HashToken(val), SID: mint.NewID(), Subject: u.Subject,
		AuthTime: now, AMR: amr, CreatedAt: now, ExpiresAt: now.Add(s.SessionLifetime),
	}
	ev := audit.Event(ctx, now, s.Node, store.EventSignIn)
	ev.ClientID = reqlog.ClientID(ctx)
	if err := s.Store.CreateSession(ctx, sess, audit.By(ctx, ev, audit.ActorUser, u.Subject)); err != nil {
		return sess, "", err
	}
	return sess, val, nil
}

// End deletes the session of a cookie value; an unknown one is no error.
func (s *Service) End(ctx context.Context, cookie string) error {
	if cookie == "" {
		return nil
	}
	return s.Store.DeleteSession(ctx, mint.HashToken(cookie))
}
