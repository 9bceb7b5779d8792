package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// CreateAuthCode implements store.Store.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	if err := s.lock(ctx, "create auth code"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.codes[c.Hash]; ok {
		return conflict("create auth code")
	}
	s.codes[c.Hash] = copyCode(c)
	return nil
}

// AuthCode implements store.Store.
func (s *Store) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	if err := s.lock(ctx, "auth code"); err != nil {
		return store.AuthCode{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.codes[hash]
	if !ok {
		return store.AuthCode{}, notFound("auth code")
	}
	return copyCode(c), nil
}

// ConsumeAuthCode implements store.Store. Under the one lock, the first
// redemption marks the code consumed and records grantID together.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error) {
	if at.IsZero() {
		return store.AuthCode{}, zeroTime("consume auth code")
	}
	if err := s.lock(ctx, "consume auth code"); err != nil {
		return store.AuthCode{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.codes[hash]
	if !ok {
		return store.AuthCode{}, notFound("consume auth code")
	}
	if !c.ConsumedAt.IsZero() {
		return copyCode(c), conflict("consume auth code")
	}
	c.ConsumedAt = norm(at)
	c.GrantID = grantID
	s.codes[hash] = c
	return copyCode(c), nil
}

// UseJTI implements store.Store: an entry is expired when its expiresAt is
// before now, the caller's clock.
func (s *Store) UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	if now.IsZero() {
		return zeroTime("use jti: now")
	}
	if err := s.lock(ctx, "use jti"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := jtiKey{clientID, jti}
	if exp, ok := s.jtis[k]; ok && !expired(exp, norm(now)) {
		return conflict("use jti")
	}
	s.jtis[k] = norm(expiresAt)
	return nil
}

// SigningKeys implements store.Store.
func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if err := s.lock(ctx, "signing keys"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.SigningKey, len(s.keys))
	for i, k := range s.keys {
		k.Sealed = slices.Clone(k.Sealed)
		out[i] = k
	}
	// Stable, so keys created at the same instant keep insertion order.
	slices.SortStableFunc(out, func(a, b store.SigningKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// AddSigningKey implements store.Store.
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey, ev store.Event) error {
	if err := s.lock(ctx, "add signing key"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.keys, func(o store.SigningKey) bool { return o.ID == k.ID }) {
		return conflict("add signing key")
	}
	k.Sealed = slices.Clone(k.Sealed)
	k.CreatedAt = norm(k.CreatedAt)
	k.ActivatesAt = norm(k.ActivatesAt)
	s.keys = append(s.keys, k)
	s.record(ev, k.CreatedAt, store.Grant{})
	return nil
}

// DeleteSigningKey implements store.Store.
func (s *Store) DeleteSigningKey(ctx context.Context, id string, ev store.Event) error {
	if err := s.lock(ctx, "delete signing key"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.keys, func(k store.SigningKey) bool { return k.ID == id })
	if i < 0 {
		return notFound("delete signing key")
	}
	s.keys = slices.Delete(s.keys, i, i+1)
	s.record(ev, time.Now(), store.Grant{})
	return nil
}

// DeleteExpired implements store.Store. A grant that expired takes all its
// tokens with it; a zero expiry never passes.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	if err := s.lock(ctx, "delete expired"); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	before = norm(before) // compare at the precision stored, as SQL does
	n := 0
	for h, t := range s.tokens {
		if expired(t.ExpiresAt, before) || expired(s.grants[t.GrantID].ExpiresAt, before) {
			delete(s.tokens, h)
			delete(s.prev, h)
			n++
		}
	}
	n += sweep(s.grants, before, func(g store.Grant) time.Time { return g.ExpiresAt })
	n += sweep(s.codes, before, func(c store.AuthCode) time.Time { return c.ExpiresAt })
	n += sweep(s.jtis, before, func(exp time.Time) time.Time { return exp })
	// A used-up request goes once consumed, live or not (store contract).
	n += sweep(s.requests, before, func(r store.AuthRequest) time.Time {
		if !r.ConsumedAt.IsZero() && (r.ExpiresAt.IsZero() || r.ConsumedAt.Before(r.ExpiresAt)) {
			return r.ConsumedAt
		}
		return r.ExpiresAt
	})
	n += sweep(s.consents, before, func(c store.Consent) time.Time { return c.ExpiresAt })
	for id, ss := range s.sessions { // the SID index goes with its session
		if expired(ss.ExpiresAt, before) {
			delete(s.sessions, id)
			delete(s.sids, ss.SID)
			n++
		}
	}
	return n, nil
}

// sweep deletes the entries of m that expired before `before` and returns how many.
func sweep[K comparable, V any](m map[K]V, before time.Time, expiry func(V) time.Time) int {
	n := 0
	for k, v := range m {
		if expired(expiry(v), before) {
			delete(m, k)
			n++
		}
	}
	return n
}

// TakeLease implements store.Store.
func (s *Store) TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if now.IsZero() {
		return false, zeroTime("take lease")
	}
	if err := s.lock(ctx, "take lease"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	now = norm(now)
	l, ok := s.leases[name]
	if ok && l.holder != holder && !l.until.Before(now) {
		return false, nil
	}
	s.leases[name] = lease{holder: holder, until: norm(now.Add(ttl))}
	return true, nil
}

// Ping implements store.Store; memory always answers.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }

// CountLiveGrants implements store.Store.
func (s *Store) CountLiveGrants(ctx context.Context, now time.Time) (int, error) {
	if err := s.lock(ctx, "count live grants"); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.grants {
		if !g.Revoked() && now.Before(g.ExpiresAt) {
			n++
		}
	}
	return n, nil
}
