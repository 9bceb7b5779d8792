package keys

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ErrPending refuses a rotation while the algorithm already has a next
// key: a second one would only shorten the first one's active life.
var ErrPending = errors.New("a next key is already waiting to activate")

// Rotate adds a next key for alg, created now and activating after the
// policy's PublishDelay: until then it is published and the current key
// goes on signing; from then on it signs and the current key is retired.
// The activation time is stored with the key, so every node switches at
// the same instant whatever its own configuration. It reads the store
// first, so a next key another node added is seen.
func (s *Set) Rotate(ctx context.Context, alg string) (Info, error) {
	added, err := s.RotateAll(ctx, []string{alg})
	if err != nil {
		return Info{}, err
	}
	return added[0], nil
}

// RotateAll is Rotate for each of algs, all or none: it reads the store
// once, and refuses (ErrPending, naming the waiting key) before adding
// any key if one of algs already has a next key, so one algorithm is never
// rotated behind a refusal of another.
func (s *Set) RotateAll(ctx context.Context, algs []string) ([]Info, error) {
	for _, alg := range algs {
		if !slices.Contains(Algorithms, alg) {
			return nil, fmt.Errorf("keys: cannot rotate %q keys; Tollgate signs with %v", alg, Algorithms)
		}
	}
	if err := s.reloadAroundChange(ctx); err != nil {
		return nil, err
	}
	return s.rotateLoaded(ctx, algs)
}

// rotateLoaded adds a next key for each of algs to the set just reloaded,
// unless one of them has a next key waiting, and reloads once after.
func (s *Set) rotateLoaded(ctx context.Context, algs []string) ([]Info, error) {
	if len(algs) == 0 {
		return nil, nil
	}
	for _, in := range s.List() {
		if in.State == StateNext && slices.Contains(algs, in.Algorithm) {
			return nil, fmt.Errorf("keys: %s key %q activates at %s: %w", in.Algorithm, in.KID, in.ActivatesAt.UTC().Format(time.RFC3339), ErrPending)
		}
	}
	now := s.now()
	var added []Info
	for _, alg := range algs {
		kid, err := randomKID()
		if err != nil {
			return added, err
		}
		row, err := newKey(alg, kid, s.sealer, now)
		if err != nil {
			return added, err
		}
		row.ActivatesAt = now.Add(s.policy.PublishDelay())
		if err := s.st.AddSigningKey(ctx, row, keyEvent(ctx, now, s.node, "rotated", kid, alg)); err != nil {
			return added, fmt.Errorf("keys: storing a new %s key: %w", alg, err)
		}
		s.log.Info("signing key rotation started", "kid", kid, "alg", alg, "activates_at", row.ActivatesAt)
		added = append(added, Info{KID: kid, Algorithm: alg, State: StateNext, CreatedAt: row.CreatedAt, ActivatesAt: row.ActivatesAt})
	}
	return added, s.reloadAroundChange(ctx)
}

// RotateDue rotates each of Algorithms whose newest key (next or active)
// activated every or more ago, and returns the keys it added. An
// algorithm with a next key waiting is never due. The scheduler calls it
// on one node at a time (app: the key-rotation lease).
func (s *Set) RotateDue(ctx context.Context, every time.Duration) ([]Info, error) {
	if every <= 0 {
		return nil, nil
	}
	if err := s.reloadAroundChange(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	newest := map[string]time.Time{}
	for _, in := range s.List() {
		if in.ActivatesAt.After(newest[in.Algorithm]) {
			newest[in.Algorithm] = in.ActivatesAt
		}
	}
	var due []string
	for _, alg := range Algorithms {
		if !now.Before(newest[alg].Add(every)) {
			due = append(due, alg)
		}
	}
	return s.rotateLoaded(ctx, due)
}

// DeleteGone deletes the stored rows of the keys that are gone: retired
// for longer than the retention, so no token they signed can still be
// valid, and neither published nor used to verify by any node. Until now
// their sealed private keys stayed in the store for ever. It reloads first,
// so the timeline is the store's, and returns the keys it deleted; a key
// another node deleted first is not an error. The janitor calls it on one
// node at a time (app: the janitor lease).
func (s *Set) DeleteGone(ctx context.Context) ([]Info, error) {
	if err := s.reloadAroundChange(ctx); err != nil {
		return nil, err
	}
	now := s.now()
	var gone []Info
	for _, in := range s.List() {
		if in.State != StateGone {
			continue
		}
		err := s.st.DeleteSigningKey(ctx, in.KID, keyEvent(ctx, now, s.node, "deleted", in.KID, in.Algorithm))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return gone, fmt.Errorf("keys: deleting gone %s key %q: %w", in.Algorithm, in.KID, err)
		}
		gone = append(gone, in)
		s.log.Info("gone signing key deleted", "kid", in.KID, "alg", in.Algorithm, "gone_at", in.GoneAt)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	return gone, s.reloadAroundChange(ctx)
}

// reloadAroundChange is Reload for a caller about to change (or that just changed)
// the stored keys. A key kept loaded because the store lacks it
// (ErrKeptMissing) is logged, not fatal: the read's other keys were taken,
// so the set is current for the store's keys, and rotating or deleting
// must not stall on this node for it.
func (s *Set) reloadAroundChange(ctx context.Context) error {
	err := s.Reload(ctx)
	if errors.Is(err, ErrKeptMissing) {
		s.log.Warn("signing key missing from the store kept loaded; carrying on", "error", err)
		return nil
	}
	return err
}

// randomKID is the kid of a rotated key: 128 random bits, base64url.
func randomKID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("keys: drawing a key id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
