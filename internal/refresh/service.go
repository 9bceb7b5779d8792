package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Store is the part of store.Store the lifecycle needs.
type Store interface {
	CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error
	GrantChain(ctx context.Context, id string) (store.Grant, int, error)
	RefreshToken(ctx context.Context, grantID, hash string) (store.RefreshToken, store.Grant, error)
	RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error
	ExtendRefreshToken(ctx context.Context, grantID, hash string, expiresAt time.Time) error
	RevokeGrant(ctx context.Context, id string, at time.Time, ev store.Event) (bool, error)
	RevokeGrants(ctx context.Context, f store.GrantFilter, at time.Time, ev store.Event) (int, error)
	RevokeGrantOrTombstone(ctx context.Context, tomb store.Grant, at time.Time, ev store.Event) (store.Revocation, error)
}

// Service runs the lifecycle over a store.
type Service struct {
	store Store
	keys  mint.RefreshKeys
	now   func() time.Time
	audit *slog.Logger
	// notifier hears of grants revoked for theft or reuse (SetNotifier);
	// nil: nobody is told but the audit log.
	notifier Notifier
	// observer hears of every revocation committed (SetObserver,
	// observe.go); nil: nobody.
	observer Observer
	// trail receives the refusals of known grants (SetTrail, trail.go);
	// node names this process in the events.
	trail audit.Recorder
	node  string
}

// New returns a lifecycle service. keys (mint.NewRefreshKeys of the system
// secret) derive successors and name tokens; the zero RefreshKeys serves an
// operator's tool that only revokes grants by id, client or subject. now is
// the clock; audit receives security events (reuse, revocation) and may be
// nil.
func New(st Store, keys mint.RefreshKeys, now func() time.Time, audit *slog.Logger) *Service {
	if audit == nil {
		audit = slog.New(slog.DiscardHandler)
	}
	// The stores keep microseconds (SQLite, PostgreSQL, memstore alike).
	// Computing at that precision makes every expiry handed out equal the
	// one stored, so a boundary is where both say it is.
	micro := func() time.Time { return now().Truncate(time.Microsecond) }
	return &Service{store: st, keys: keys, now: micro, audit: audit}
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
func (s *Service) Issue(ctx context.Context, g store.Grant, proof Proof, p Policy) (Issued, error) {
	now := s.now()
	preset := g.ID != ""
	if !preset {
		g.ID = NewGrantID()
	}
	g.CreatedAt = now
	g.ExpiresAt = now.Add(p.MaxLifetime)
	tok, err := s.keys.First(g.ID)
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: first token: %w", err)
	}
	first := store.RefreshToken{
		Hash:      mint.HashToken(tok),
		GrantID:   g.ID,
		CreatedAt: now,
		ExpiresAt: p.idleExpiry(now, g.ExpiresAt),
		ProofKey:  proof.Key(),
	}
	s.lineage(ctx, &first)
	ev := audit.Event(ctx, now, s.node, store.EventGrantCreated)
	err = s.store.CreateGrant(ctx, g, first, audit.By(ctx, ev, audit.ActorClient, g.ClientID))
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
func (s *Service) Refresh(ctx context.Context, presented, clientID string, proof Proof, p Policy, check func(store.Grant) error) (Issued, error) {
	pt, ok := s.read(presented)
	if !ok {
		return Issued{}, ErrUnknown
	}
	tok, g, err := s.lookup(ctx, pt)
	if errors.Is(err, ErrUnknown) && pt.form == mint.NamedRefresh {
		return s.rowGone(ctx, pt, clientID, proof, p, check)
	}
	if err != nil {
		return Issued{}, err
	}
	if g.ClientID != clientID {
		return Issued{}, s.wrongClient(ctx, g, clientID)
	}
	now := s.now()
	if err := live(g, now); err != nil {
		return Issued{}, err
	}
	if tok.Consumed() {
		return s.retry(ctx, pt, tok, g, proof, p, now, check, false)
	}
	if !now.Before(tok.ExpiresAt) {
		return Issued{}, errExpiredIdle
	}
	if err := s.bound(ctx, g, proof); err != nil {
		return Issued{}, err
	}
	if check != nil {
		if err := check(g); err != nil {
			return Issued{}, err
		}
	}
	if p.Rotation == config.RotationReuse {
		return s.slide(ctx, presented, pt.hash, g, p, now)
	}
	return s.rotate(ctx, pt, tok, g, proof, p, now, check)
}

// Proof is what a token request proved besides the token itself: the keys
// whose possession decides whether a bound token may be used (RFC 9449 §5)
// and whether a second presentation within the grace window is the
// client's retry or a thief's.
type Proof struct {
	// DPoPJKT is the JWK SHA-256 thumbprint (RFC 7638) of the key that
	// signed the request's verified DPoP proof; "" without one.
	DPoPJKT string
	// ClientKey is the thumbprint of the key whose private_key_jwt
	// assertion authenticated the client; "" for other methods.
	ClientKey string
}

// Key is the key recorded on a token issued to the request
// (store.RefreshToken.ProofKey): the DPoP key if there is one, since it is
// the key the token is bound to, else the client's assertion key.
func (p Proof) Key() string {
	if p.DPoPJKT != "" {
		return p.DPoPJKT
	}
	return p.ClientKey
}

// presentation is a refresh token as a client sent it, read once.
type presentation struct {
	value string
	hash  string             // mint.HashToken(value): its key in the store
	form  mint.RefreshFormat // legacy or named (its tag verified)
	name  mint.RefreshName   // for a named token: its grant and generation
}

// read checks a presented token's shape, and a named token's tag, before
// the store is asked: junk and forged names are unknown tokens.
func (s *Service) read(presented string) (presentation, bool) {
	form, name := s.keys.Open(presented)
	if form == mint.NotRefreshToken {
		return presentation{}, false
	}
	return presentation{value: presented, hash: mint.HashToken(presented), form: form, name: name}, true
}

// wrongClient logs a token presented by a client it was not issued to and
// returns ErrWrongClient. RFC 6749 §6: the token must have been issued to
// the authenticated client. The caller answers as for an unknown token (it
// must not confirm that the token is live); the audit log keeps the real
// reason. Nothing is revoked: the presenter may not be the token's holder.
func (s *Service) wrongClient(ctx context.Context, g store.Grant, clientID string) error {
	s.audit.LogAttrs(ctx, slog.LevelWarn, "refresh token presented by another client",
		slog.String("event", "refresh_token_wrong_client"), slog.String("grant_id", g.ID),
		slog.String("client_id", g.ClientID), slog.String("presented_by", clientID))
	return ErrWrongClient
}

// rotate consumes the presented token and stores its derived successor in one
// transaction. A lost race means another request consumed it first: that
// request's outcome decides ours, through the retry path.
func (s *Service) rotate(ctx context.Context, pt presentation, tok store.RefreshToken, g store.Grant, proof Proof, p Policy, now time.Time, check func(store.Grant) error) (Issued, error) {
	succ, err := s.keys.Successor(g.ID, tok.Generation+1, pt.value)
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: rotate: %w", err)
	}
	next := store.RefreshToken{
		Hash:       mint.HashToken(succ),
		GrantID:    g.ID,
		Generation: tok.Generation + 1,
		CreatedAt:  now,
		ExpiresAt:  p.idleExpiry(now, g.ExpiresAt),
		ProofKey:   proof.Key(),
	}
	s.lineage(ctx, &next)
	err = s.store.RotateRefreshToken(ctx, pt.hash, now, next)
	if errors.Is(err, store.ErrConflict) {
		// Consumed concurrently, or the grant was revoked meanwhile. (Its
		// row may even be gone already, if the winner's successor was
		// rotated too: then its name decides.)
		owner := g.ClientID // the caller, as checked
		tok, g, err = s.lookup(ctx, pt)
		if errors.Is(err, ErrUnknown) && pt.form == mint.NamedRefresh {
			return s.rowGone(ctx, pt, owner, proof, p, check)
		}
		if err != nil {
			return Issued{}, err
		}
		if err := live(g, now); err != nil {
			return Issued{}, err
		}
		return s.retry(ctx, pt, tok, g, proof, p, now, check, false)
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: rotate: %w", err)
	}
	return Issued{Token: succ, Grant: g, ExpiresAt: next.ExpiresAt}, nil
}

// slide keeps the same token (rotation: reuse) and moves its idle expiry.
func (s *Service) slide(ctx context.Context, presented, hash string, g store.Grant, p Policy, now time.Time) (Issued, error) {
	exp := p.idleExpiry(now, g.ExpiresAt)
	err := s.store.ExtendRefreshToken(ctx, g.ID, hash, exp)
	if errors.Is(err, store.ErrConflict) {
		return Issued{}, ErrRevoked
	}
	if err != nil {
		return Issued{}, fmt.Errorf("refresh: extend: %w", err)
	}
	return Issued{Token: presented, Grant: g, ExpiresAt: exp}, nil
}

// lookup finds a presented token in the store: a named token in the grant
// it names, one in the earlier format (which names none) by hash alone.
func (s *Service) lookup(ctx context.Context, pt presentation) (store.RefreshToken, store.Grant, error) {
	tok, g, err := s.store.RefreshToken(ctx, pt.name.GrantID, pt.hash)
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
		return errExpiredMax
	}
	return nil
}
