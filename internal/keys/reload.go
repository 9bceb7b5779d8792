package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Reload pacing. A node reloads on a schedule (ReloadEvery) so that a key
// added on one node is published by every node within a minute, and on a
// miss (a kid it does not know, or a JWKS request) at most once per
// DefaultReloadGap, so a stream of junk kids costs one store read per gap,
// not one per request.
const (
	ReloadEvery      = 30 * time.Second
	DefaultReloadGap = 5 * time.Second
	// missReloadTimeout bounds the store read a request waits for.
	missReloadTimeout = 2 * time.Second
)

// ErrKeptMissing is wrapped by Reload's error when the store no longer
// holds a key still in use here: that key stays loaded and the rest of
// the read (a new key) is taken all the same. The set in use is current
// but for the kept key, so a caller that reloads before acting (Rotate,
// RotateDue, DeleteGone) logs it and carries on.
var ErrKeptMissing = errors.New("a signing key still in use here is missing from the store; keeping it loaded")

// Reload reads the stored keys again and, when every one of them opens,
// makes them the set in use. When the read fails, or a stored key does not
// open, the set in use stays as it was: a node keeps signing and verifying
// with what it has. When the read lacks a key still in use here, that key
// stays loaded, the read's other keys are taken, and the error wraps
// ErrKeptMissing.
func (s *Set) Reload(ctx context.Context) error {
	_, err := s.reload(ctx, true)
	return err
}

// Refresh is Reload, paced: it reads the store only if no reload started
// within the gap, and joins one that is running. The JWKS endpoint calls
// it, so that a client fetching the keys after meeting a new kid gets them.
func (s *Set) Refresh(ctx context.Context) {
	if _, err := s.reload(ctx, false); err != nil {
		s.log.Warn("reloading signing keys failed; serving the keys loaded before", "error", err)
	}
}

// Run reloads every interval until ctx ends. Failures are logged and the
// keys loaded before stay in use.
func (s *Set) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("reloading signing keys failed; keeping the keys loaded before", "error", err)
			}
		}
	}
}

func (s *Set) reloadOnMiss() {
	ctx, cancel := context.WithTimeout(context.Background(), missReloadTimeout)
	defer cancel()
	if _, err := s.reload(ctx, false); err != nil {
		s.log.Warn("reloading signing keys for an unknown kid failed", "error", err)
	}
}

// reload runs one reload at a time: a caller that finds one running waits
// for it (or for ctx) instead of starting another. Unless forced, it
// starts none within s.gap of the last start. It reports whether the set
// in use changed.
func (s *Set) reload(ctx context.Context, force bool) (bool, error) {
	s.mu.Lock()
	if ch := s.inflight; ch != nil {
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
		return false, nil
	}
	now := s.now()
	// A clock that went back (d < 0) does not hold reloads off.
	if d := now.Sub(s.lastTry); !force && !s.lastTry.IsZero() && d >= 0 && d < s.gap {
		s.mu.Unlock()
		return false, nil
	}
	s.lastTry = now
	ch := make(chan struct{})
	s.inflight = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight = nil
		s.mu.Unlock()
		close(ch)
	}()

	rows, err := s.st.SigningKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("keys: reading signing keys: %w", err)
	}
	// A key leaves the store only once it is gone (DeleteGone): no token
	// it signed can still be valid. A read that lacks a key still in use
	// here (a store restored from an old backup, a replica behind, or a
	// node whose clock or retention says gone a little before this one's)
	// must not make this node stop verifying tokens it signed: that key
	// stays loaded, and the rest of the read (a new key) is taken all the
	// same, so the node never stops following rotations.
	prev := s.cur.Load()
	stored := make(map[string]bool, len(rows))
	for _, r := range rows {
		stored[r.ID] = true
	}
	gone := map[string]bool{}
	for _, in := range s.view().infos { // the states at now
		gone[in.KID] = in.State == StateGone
	}
	dropped := false
	var kept []string
	for kid := range prev.all {
		if !stored[kid] {
			if gone[kid] {
				dropped = true
			} else {
				kept = append(kept, kid)
			}
		}
	}
	slices.Sort(kept)
	var keptErr error
	if len(kept) > 0 {
		keptErr = fmt.Errorf("keys: the store no longer holds signing key %q, still in use here: %w", kept[0], ErrKeptMissing)
	}
	if !dropped && len(stored) == len(prev.all)-len(kept) {
		// Nothing new (every stored key is loaded) and nothing dropped:
		// keep the snapshot and its cached signers, unseal nothing.
		return false, keptErr
	}
	// Keys already loaded keep their entries (and cached signers); only
	// the new rows are unsealed.
	all := make(map[string]*entry, len(rows))
	var fresh []store.SigningKey
	for _, r := range rows {
		if e, ok := prev.all[r.ID]; ok {
			all[r.ID] = e
		} else {
			fresh = append(fresh, r)
		}
	}
	added, err := openSet(fresh, s.sealer, now, s.policy.Retention())
	if err != nil {
		return false, err
	}
	maps.Copy(all, added.all)
	for _, kid := range kept {
		all[kid] = prev.all[kid]
	}
	next, err := view(all, now, s.policy.Retention())
	if err != nil {
		return false, err
	}
	s.cur.Store(next)
	for _, r := range fresh {
		s.log.Info("signing key loaded", slog.String("kid", r.ID), slog.String("alg", r.Algorithm),
			slog.Time("activates_at", effectiveActivation(r.CreatedAt, r.ActivatesAt)))
	}
	return true, keptErr
}
