package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Store is the part of store.Store the lifecycle needs.
type Store interface {
	CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken) error
	RefreshToken(ctx context.Context, hash string) (store.RefreshToken, store.Grant, error)
	RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error
	ExtendRefreshToken(ctx context.Context, hash string, expiresAt time.Time) error
	RevokeGrant(ctx context.Context, id string, at time.Time) (bool, error)
	RevokeGrants(ctx context.Context, f store.GrantFilter, at time.Time) (int, error)
	RevokeGrantOrTombstone(ctx context.Context, tomb store.Grant, at time.Time) (store.Revocation, error)
}

// Service runs the lifecycle over a store.
type Service struct {
	store       Store
	rotationKey []byte
	now         func() time.Time
	audit       *slog.Logger
}

// New returns a lifecycle service. rotationKey keys the successor derivation
// (mint.RotationKey of the system secret); now is the clock; audit receives
// security events (reuse, revocation) and may be nil.
func New(st Store, rotationKey []byte, now func() time.Time, audit *slog.Logger) *Service {
	if audit == nil {
		audit = slog.New(slog.DiscardHandler)
	}
	// The stores keep microseconds (SQLite, PostgreSQL, memstore alike).
	// Computing at that precision makes every expiry handed out equal the
	// one stored, so a boundary is where both say it is.
	micro := func() time.Time { return now().Truncate(time.Microsecond) }
	return &Service{store: st, rotationKey: rotationKey, now: micro, audit: audit}
}

// Issued is a refresh token handed to a client.
type Issued struct {
	Token     string      // the value to return; never logged or stored
	Grant     store.Grant // the family it belongs to
	ExpiresAt time.Time   // when it expires if unused (rt_expires_in)
	Retried   bool        // a retry within the grace window got the same successor
}

// NewGrantID returns a fresh random grant id.
func NewGrantID() string { return mint.NewID() }

// Issue starts a grant (token family) for a sign-in and returns its first
// refresh token. g.ID is generated when empty; g.CreatedAt and g.ExpiresAt
// are set from the clock and the policy's max lifetime.
//
// A preset id (the code exchange's, recorded when the code was consumed)
// that a code replay has tombstoned meanwhile gives ErrRevoked: the grant
// was revoked before it existed, and nothing is issued (RevokeReplayed).
func (s *Service) Issue(ctx context.Context, g store.Grant, p Policy) (Issued, error) {
	now := s.now()
	preset := g.ID != ""
	if !preset {
		g.ID = NewGrantID()
	}
	g.CreatedAt = now
	g.ExpiresAt = now.Add(p.MaxLifetime)
	tok := mint.NewRefreshToken()
	first := store.RefreshToken{
		Hash:      mint.HashToken(tok),
		GrantID:   g.ID,
		CreatedAt: now,
		ExpiresAt: p.idleExpiry(now, g.ExpiresAt),
	}
	err := s.store.CreateGrant(ctx, g, first)
	if preset && errors.Is(err, store.ErrConflict) {
		s.audit.LogAttrs(ctx, slog.LevelWarn, "grant not created: its id was revoked first",
			slog.String("event", "grant_tombstoned"), slog.String("grant_id", g.ID), slog.String("client_id", g.ClientID))
		return Issued{}, fmt.Errorf("refresh: create grant %s: %w", g.ID, ErrRevoked)
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: create grant: %w", err)
	}
	return Issued{Token: tok, Grant: g, ExpiresAt: first.ExpiresAt}, nil
}

// Refresh redeems a presented refresh token for clientID under policy p and
// returns the token the client should keep: a new one (one_time), the same
// one with a slid expiry (reuse), or, for a retry within the grace window,
// the same successor it was handed before.
//
// check runs after the token is found valid and before anything changes, so
// the caller can refuse (user disabled, client no longer allowed) without
// consuming the token. Its error is returned as is.
func (s *Service) Refresh(ctx context.Context, presented, clientID string, p Policy, check func(store.Grant) error) (Issued, error) {
	if !mint.WellFormed(mint.RefreshPrefix, presented) {
		return Issued{}, ErrUnknown
	}
	hash := mint.HashToken(presented)
	tok, g, err := s.lookup(ctx, hash)
	if err != nil {
		return Issued{}, err
	}
	// RFC 6749 §6: the token must have been issued to the authenticated client.
	// The caller answers as for an unknown token (it must not confirm that
	// the token is live); the audit log keeps the real reason.
	if g.ClientID != clientID {
		s.audit.LogAttrs(ctx, slog.LevelWarn, "refresh token presented by another client",
			slog.String("event", "refresh_token_wrong_client"), slog.String("grant_id", g.ID),
			slog.String("client_id", g.ClientID), slog.String("presented_by", clientID))
		return Issued{}, ErrWrongClient
	}
	now := s.now()
	if err := live(g, now); err != nil {
		return Issued{}, err
	}
	if tok.Consumed() {
		return s.retry(ctx, presented, tok, g, p, now, check)
	}
	if !now.Before(tok.ExpiresAt) {
		return Issued{}, ErrExpired
	}
	if check != nil {
		if err := check(g); err != nil {
			return Issued{}, err
		}
	}
	if p.Rotation == config.RotationReuse {
		return s.slide(ctx, presented, hash, g, p, now)
	}
	return s.rotate(ctx, presented, hash, tok, g, p, now, check)
}

// rotate consumes the presented token and stores its derived successor in one
// transaction. A lost race means another request consumed it first: that
// request's outcome decides ours, through the retry path.
func (s *Service) rotate(ctx context.Context, presented, hash string, tok store.RefreshToken, g store.Grant, p Policy, now time.Time, check func(store.Grant) error) (Issued, error) {
	succ := mint.DeriveSuccessor(s.rotationKey, g.ID, tok.Generation+1, presented)
	next := store.RefreshToken{
		Hash:       mint.HashToken(succ),
		GrantID:    g.ID,
		Generation: tok.Generation + 1,
		CreatedAt:  now,
		ExpiresAt:  p.idleExpiry(now, g.ExpiresAt),
	}
	err := s.store.RotateRefreshToken(ctx, hash, now, next)
	if errors.Is(err, store.ErrConflict) {
		// Consumed concurrently, or the grant was revoked meanwhile.
		tok, g, err = s.lookup(ctx, hash)
		if err != nil {
			return Issued{}, err
		}
		if err := live(g, now); err != nil {
			return Issued{}, err
		}
		return s.retry(ctx, presented, tok, g, p, now, check)
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: rotate: %w", err)
	}
	return Issued{Token: succ, Grant: g, ExpiresAt: next.ExpiresAt}, nil
}

// slide keeps the same token (rotation: reuse) and moves its idle expiry.
func (s *Service) slide(ctx context.Context, presented, hash string, g store.Grant, p Policy, now time.Time) (Issued, error) {
	exp := p.idleExpiry(now, g.ExpiresAt)
	err := s.store.ExtendRefreshToken(ctx, hash, exp)
	if errors.Is(err, store.ErrConflict) {
		return Issued{}, ErrRevoked
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: extend: %w", err)
	}
	return Issued{Token: presented, Grant: g, ExpiresAt: exp}, nil
}

// retry handles a consumed token. Within the grace window, while its
// successor is unused, the client gets that same successor again: the
// response to the first request was lost. At any other time a consumed token
// means two parties hold the family (RFC 9700 §4.14.2), so the whole grant is
// revoked. check runs only for a genuine retry: reuse is answered first.
func (s *Service) retry(ctx context.Context, presented string, tok store.RefreshToken, g store.Grant, p Policy, now time.Time, check func(store.Grant) error) (Issued, error) {
	if p.withinGrace(tok.ConsumedAt, now) {
		succ := mint.DeriveSuccessor(s.rotationKey, g.ID, tok.Generation+1, presented)
		if mint.HashToken(succ) == tok.SuccessorHash {
			next, _, err := s.store.RefreshToken(ctx, tok.SuccessorHash)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return Issued{}, fmt.Errorf("refresh: read successor: %w", err)
			}
			if err == nil && !next.Consumed() && now.Before(next.ExpiresAt) {
				if check != nil {
					if err := check(g); err != nil {
						return Issued{}, err
					}
				}
				// A retry is not an attack, but an operator telling theft
				// from a flaky network needs to see how often it happens.
				s.audit.LogAttrs(ctx, slog.LevelInfo, "refresh token retried within grace; same successor",
					slog.String("event", "refresh_token_retry"),
					slog.String("grant_id", g.ID),
					slog.String("client_id", g.ClientID),
					slog.Int("generation", tok.Generation),
					slog.Duration("since_consumed", now.Sub(tok.ConsumedAt)))
				return Issued{Token: succ, Grant: g, ExpiresAt: next.ExpiresAt, Retried: true}, nil
			}
		}
	}
	revoked, err := s.store.RevokeGrant(ctx, g.ID, now)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Issued{}, fmt.Errorf("refresh: revoke reused grant: %w", err)
	}
	if revoked {
		s.audit.LogAttrs(ctx, slog.LevelWarn, "refresh token reuse detected; grant revoked",
			slog.String("event", "refresh_token_reuse"),
			slog.String("grant_id", g.ID),
			slog.String("client_id", g.ClientID),
			slog.String("subject", g.Subject),
			slog.Int("generation", tok.Generation),
			slog.Duration("since_consumed", now.Sub(tok.ConsumedAt)))
	}
	return Issued{}, ErrReused
}

func (s *Service) lookup(ctx context.Context, hash string) (store.RefreshToken, store.Grant, error) {
	tok, g, err := s.store.RefreshToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return tok, g, ErrUnknown
	}
	if err != nil {
		return tok, g, fmt.Errorf("refresh: lookup: %w", err)
	}
	return tok, g, nil
}

// live checks the grant-wide rules: not revoked, not past its absolute cap.
func live(g store.Grant, now time.Time) error {
	if g.Revoked() {
		return ErrRevoked
	}
	if !now.Before(g.ExpiresAt) {
		return ErrExpired
	}
	return nil
}
