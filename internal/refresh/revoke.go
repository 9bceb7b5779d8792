package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Revoke revokes the grant of a presented refresh token on behalf of
// clientID (RFC 7009 §2.1: revoking a refresh token revokes the grant it
// belongs to). An unknown token, or one issued to another client, changes
// nothing and is not an error (RFC 7009 §2.2: the client cannot act on it).
// It reports whether a live grant was revoked.
//
// A named token whose row is gone (a consumed one, two rotations on) still
// names its grant, and its tag shows this server minted it: revoking it
// revokes that grant too, when the grant is the caller's.
func (s *Service) Revoke(ctx context.Context, presented, clientID string) (bool, error) {
	pt, ok := s.read(presented)
	if !ok {
		return false, nil
	}
	_, g, err := s.lookup(ctx, pt)
	if errors.Is(err, ErrUnknown) && pt.form == mint.NamedRefresh {
		g, _, err = s.store.GrantChain(ctx, pt.name.GrantID)
		if errors.Is(err, store.ErrNotFound) {
			err = ErrUnknown
		}
	}
	if errors.Is(err, ErrUnknown) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if g.ClientID != clientID {
		return false, nil
	}
	return s.RevokeGrant(ctx, g.ID, ByClient)
}

// RevokeGrant revokes one grant by id; by names who asked (client, operator).
func (s *Service) RevokeGrant(ctx context.Context, grantID, by string) (bool, error) {
	ok, err := s.store.RevokeGrant(ctx, grantID, s.now(), s.revocationEvent(ctx, by))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("refresh: revoke grant: %w", err)
	}
	if ok {
		s.revoked(by, 1)
		s.audit.LogAttrs(ctx, slog.LevelInfo, "grant revoked",
			slog.String("event", "grant_revoked"), slog.String("grant_id", grantID), slog.String("by", by))
	}
	return ok, nil
}

// RevokeReplayed revokes the grant issued from an authorization code that
// its client presented again (RFC 6749 §4.1.2: the server SHOULD revoke
// every token issued from it). The first redemption may still be issuing:
// then a tombstone takes the grant's id, its CreateGrant fails and Issue
// returns ErrRevoked, so nothing is issued. The tombstone lasts as long as
// the grant it stands in for could (the policy's max lifetime, at least an
// hour). It reports what happened, so the caller's answer and log line say
// only what is true.
func (s *Service) RevokeReplayed(ctx context.Context, grantID, clientID, subject string, p Policy) (store.Revocation, error) {
	now := s.now()
	tomb := store.Grant{ID: grantID, ClientID: clientID, Subject: subject, CreatedAt: now,
		ExpiresAt: now.Add(max(p.MaxLifetime, time.Hour))}
	out, err := s.store.RevokeGrantOrTombstone(ctx, tomb, now, s.revocationEvent(ctx, ByCodeReuse))
	if err != nil {
		return out, fmt.Errorf("refresh: revoke replayed grant: %w", err)
	}
	if out != store.AlreadyRevoked {
		s.revoked(ByCodeReuse, 1)
		s.audit.LogAttrs(ctx, slog.LevelInfo, "grant revoked",
			slog.String("event", "grant_revoked"), slog.String("grant_id", grantID), slog.String("by", "code_reuse"),
			slog.String("outcome", out.String()))
	}
	return out, nil
}

// RevokeMatching revokes every live grant of a client or subject (and
// session), for an operator stopping a compromised client or user at once.
// It returns how many.
func (s *Service) RevokeMatching(ctx context.Context, f store.GrantFilter) (int, error) {
	return s.RevokeMatchingBy(ctx, f, ByOperator)
}

// RevokeMatchingBy is RevokeMatching on behalf of by (ByOperator, ByLogout
// for a sign-out with revoke_on_logout).
func (s *Service) RevokeMatchingBy(ctx context.Context, f store.GrantFilter, by string) (int, error) {
	if f == (store.GrantFilter{}) {
		return 0, errors.New("refresh: a client id, a subject or a session is required")
	}
	n, err := s.store.RevokeGrants(ctx, f, s.now(), s.revocationEvent(ctx, by))
	if err != nil {
		s.revoked(by, n) // those revoked before the failure stay revoked
		return 0, fmt.Errorf("refresh: revoke grants: %w", err)
	}
	s.revoked(by, n)
	s.audit.LogAttrs(ctx, slog.LevelInfo, "grants revoked",
		slog.String("event", "grants_revoked"), slog.String("by", by), slog.String("client_id", f.ClientID),
		slog.String("subject", f.Subject), slog.String("session_id", f.SessionID), slog.Int("count", n))
	return n, nil
}

// Active is what introspection may say about a live refresh token.
type Active struct {
	Token store.RefreshToken
	Grant store.Grant
}

// Inspect returns a presented token's state if it is usable right now: known,
// unconsumed, unexpired and its grant unrevoked (RFC 7662 §2.2 "active").
// Any other token gives one of the domain errors: a named token whose row
// is gone, unknown (it is consumed, or expired, either way inactive).
// Inspecting revokes nothing.
func (s *Service) Inspect(ctx context.Context, presented string) (Active, error) {
	pt, ok := s.read(presented)
	if !ok {
		return Active{}, ErrUnknown
	}
	tok, g, err := s.lookup(ctx, pt)
	if err != nil {
		return Active{}, err
	}
	now := s.now()
	if err := live(g, now); err != nil {
		return Active{}, err
	}
	if tok.Consumed() {
		return Active{}, ErrReused
	}
	if !now.Before(tok.ExpiresAt) {
		return Active{}, ErrExpired
	}
	return Active{Token: tok, Grant: g}, nil
}
