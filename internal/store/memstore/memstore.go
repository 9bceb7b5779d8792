package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

var _ store.Store = (*Store)(nil)

type (
	jtiKey     struct{ clientID, jti string }
	consentKey struct{ subject, clientID string }
)

// Store is the in-memory backend. The zero value is not usable; call New.
type Store struct {
	// One lock for everything: every method is a handful of map operations,
	// and one lock makes each of them trivially atomic, as a transaction is.
	mu     sync.Mutex
	grants map[string]store.Grant
	tokens map[string]store.RefreshToken
	prev   map[string]string // token hash -> hash of the token it replaced
	codes  map[string]store.AuthCode
	jtis   map[jtiKey]time.Time
	keys   []store.SigningKey // in insertion order; sorted on read

	requests map[string]store.AuthRequest
	sessions map[string]store.Session // by ID
	sids     map[string]string        // session SID to ID, for uniqueness
	consents map[consentKey]store.Consent
	leases   map[string]lease
	users    userTable                     // users.go; made on first use
	clients  map[string]store.ClientRecord // clients.go; made on first write
	events   []store.Event                 // the audit trail, in insertion order (audit.go)
}

// lease is who holds a named lease, and until when.
type lease struct {
	holder string
	until  time.Time
}

// New returns an empty store.
func New() *Store {
	return &Store{
		grants: map[string]store.Grant{},
		tokens: map[string]store.RefreshToken{},
		prev:   map[string]string{},
		codes:  map[string]store.AuthCode{},
		jtis:   map[jtiKey]time.Time{},

		requests: map[string]store.AuthRequest{},
		sessions: map[string]store.Session{},
		sids:     map[string]string{},
		consents: map[consentKey]store.Consent{},
		leases:   map[string]lease{},
	}
}

// Close implements store.Store; there is nothing to release.
func (s *Store) Close() error { return nil }

// lock checks ctx and takes the lock, so a cancelled request writes nothing.
func (s *Store) lock(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	s.mu.Lock()
	return nil
}

func conflict(op string) error { return fmt.Errorf("memstore: %s: %w", op, store.ErrConflict) }
func notFound(op string) error { return fmt.Errorf("memstore: %s: %w", op, store.ErrNotFound) }

// zeroTime refuses a zero event time: zero means "not yet" in ConsumedAt and
// RevokedAt, so storing it would record nothing.
func zeroTime(op string) error { return fmt.Errorf("memstore: %s: zero time", op) }

// expired reports whether exp is set and before t; a zero expiry never passes.
func expired(exp, t time.Time) bool { return !exp.IsZero() && exp.Before(t) }

// norm returns t as the SQL backends return it: UTC, microseconds, no
// monotonic reading.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// list copies a slice so the caller and the store never share one.
func list(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func copyGrant(g store.Grant) store.Grant {
	g.Scopes, g.AMR, g.Resources = list(g.Scopes), list(g.AMR), list(g.Resources)
	g.AuthTime, g.CreatedAt, g.ExpiresAt, g.RevokedAt = norm(g.AuthTime), norm(g.CreatedAt), norm(g.ExpiresAt), norm(g.RevokedAt)
	return g
}

func copyToken(t store.RefreshToken) store.RefreshToken {
	t.CreatedAt, t.ExpiresAt, t.ConsumedAt = norm(t.CreatedAt), norm(t.ExpiresAt), norm(t.ConsumedAt)
	return t
}

func copyCode(c store.AuthCode) store.AuthCode {
	c.Scopes, c.AMR, c.Resources = list(c.Scopes), list(c.AMR), list(c.Resources)
	c.AuthTime, c.CreatedAt, c.ExpiresAt, c.ConsumedAt = norm(c.AuthTime), norm(c.CreatedAt), norm(c.ExpiresAt), norm(c.ConsumedAt)
	return c
}

// CreateGrant implements store.Store.
func (s *Store) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error {
	if first.GrantID != g.ID {
		return fmt.Errorf("memstore: create grant: first token's grant %q is not %q", first.GrantID, g.ID)
	}
	if err := s.lock(ctx, "create grant"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.grants[g.ID]; ok {
		return conflict("create grant")
	}
	if _, ok := s.tokens[first.Hash]; ok {
		return conflict("create grant")
	}
	s.grants[g.ID] = copyGrant(g)
	s.tokens[first.Hash] = copyToken(first)
	s.record(ev, g.CreatedAt, g)
	return nil
}

// GrantChain implements store.Store.
func (s *Store) GrantChain(ctx context.Context, id string) (store.Grant, int, error) {
	if err := s.lock(ctx, "grant"); err != nil {
		return store.Grant{}, 0, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return store.Grant{}, 0, notFound("grant")
	}
	newest := -1
	for _, t := range s.tokens {
		if t.GrantID == id {
			newest = max(newest, t.Generation)
		}
	}
	return copyGrant(g), newest, nil
}

// RefreshToken implements store.Store.
// The map is by hash alone, which serves grantID "" (a token that names no
// grant) as well; a named lookup must also match the grant.
func (s *Store) RefreshToken(ctx context.Context, grantID, hash string) (store.RefreshToken, store.Grant, error) {
	if err := s.lock(ctx, "refresh token"); err != nil {
		return store.RefreshToken{}, store.Grant{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.tokens[hash]
	if !ok || (grantID != "" && t.GrantID != grantID) {
		return store.RefreshToken{}, store.Grant{}, notFound("refresh token")
	}
	return t, copyGrant(s.grants[t.GrantID]), nil
}

// usable returns the token hash of grant grantID if it may still be
// rotated or extended.
func (s *Store) usable(grantID, hash, op string) (store.RefreshToken, error) {
	t, ok := s.tokens[hash]
	if !ok || t.GrantID != grantID {
		return t, notFound(op)
	}
	if t.Consumed() || s.grants[t.GrantID].Revoked() {
		return t, conflict(op)
	}
	return t, nil
}

// RotateRefreshToken implements store.Store.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	if consumedAt.IsZero() {
		return zeroTime("rotate")
	}
	if err := s.lock(ctx, "rotate"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, err := s.usable(next.GrantID, oldHash, "rotate")
	if err != nil {
		return err
	}
	if _, ok := s.tokens[next.Hash]; ok {
		return conflict("rotate")
	}
	old.ConsumedAt, old.SuccessorHash = norm(consumedAt), next.Hash
	s.tokens[oldHash] = old
	s.tokens[next.Hash] = copyToken(next)
	// The old token's own predecessor goes (store contract): the grant
	// keeps the live token and the one it replaced, no more.
	if p, ok := s.prev[oldHash]; ok {
		delete(s.tokens, p)
		delete(s.prev, oldHash)
	}
	s.prev[next.Hash] = oldHash
	return nil
}

// ExtendRefreshToken implements store.Store.
func (s *Store) ExtendRefreshToken(ctx context.Context, grantID, hash string, expiresAt time.Time) error {
	if err := s.lock(ctx, "extend"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	t, err := s.usable(grantID, hash, "extend")
	if err != nil {
		return err
	}
	t.ExpiresAt = norm(expiresAt)
	s.tokens[hash] = t
	return nil
}

// RevokeGrant implements store.Store.
func (s *Store) RevokeGrant(ctx context.Context, id string, at time.Time, ev store.Event) (bool, error) {
	if at.IsZero() {
		return false, zeroTime("revoke grant")
	}
	if err := s.lock(ctx, "revoke grant"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants[id]
	if !ok {
		return false, notFound("revoke grant")
	}
	if g.Revoked() {
		return false, nil
	}
	g.RevokedAt = norm(at)
	s.grants[id] = g
	s.record(ev, at, g)
	return true, nil
}

// RevokeGrantOrTombstone implements store.Store: under the one lock, the
// grant is revoked, or its tombstone written, and CreateGrant (under the
// same lock) finds the id taken.
func (s *Store) RevokeGrantOrTombstone(ctx context.Context, tomb store.Grant, at time.Time, ev store.Event) (store.Revocation, error) {
	if at.IsZero() {
		return store.AlreadyRevoked, zeroTime("revoke grant or tombstone")
	}
	if err := s.lock(ctx, "revoke grant or tombstone"); err != nil {
		return store.AlreadyRevoked, err
	}
	defer s.mu.Unlock()
	g, ok := s.grants[tomb.ID]
	switch {
	case !ok:
		tomb.RevokedAt = at
		s.grants[tomb.ID] = copyGrant(tomb)
		s.record(ev, at, tomb)
		return store.Tombstoned, nil
	case g.Revoked():
		return store.AlreadyRevoked, nil
	}
	g.RevokedAt = norm(at)
	s.grants[tomb.ID] = g
	s.record(ev, at, g)
	return store.Revoked, nil
}

// RevokeGrants implements store.Store.
func (s *Store) RevokeGrants(ctx context.Context, f store.GrantFilter, at time.Time, ev store.Event) (int, error) {
	if f == (store.GrantFilter{}) {
		return 0, errors.New("memstore: revoke grants: empty filter")
	}
	if at.IsZero() {
		return 0, zeroTime("revoke grants")
	}
	if err := s.lock(ctx, "revoke grants"); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for id, g := range s.grants {
		if g.Revoked() || (f.ClientID != "" && g.ClientID != f.ClientID) || (f.Subject != "" && g.Subject != f.Subject) ||
			(f.SessionID != "" && g.SessionID != f.SessionID) {
			continue
		}
		g.RevokedAt = norm(at)
		s.grants[id] = g
		e := ev // one event per grant, its own id, its fields from the grant's row
		e.ID, e.GrantID, e.ClientID, e.Subject, e.SessionID = "", "", "", "", ""
		s.record(e, at, g)
		n++
	}
	return n, nil
}
