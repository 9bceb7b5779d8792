package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A grant's chain as the store keeps it: the live token and the one it
// replaced (store.Store.RotateRefreshToken), and GrantChain's newest
// generation, from which package refresh recognises an older token whose
// row is gone.

// wantChain fails unless GrantChain(id) reports newest as the newest
// generation.
func wantChain(t *testing.T, s store.Store, id string, newest int) store.Grant {
	t.Helper()
	g, got, err := s.GrantChain(context.Background(), id)
	if err != nil {
		t.Fatalf("GrantChain(%s): %v", id, err)
	}
	if got != newest {
		t.Errorf("GrantChain(%s): newest generation %d, want %d", id, got, newest)
	}
	return g
}

// rotate rotates hash to a successor of generation gen named next, at
// minute gen, and fails the test on error.
func rotate(t *testing.T, s store.Store, hash, next, grantID string, gen int) {
	t.Helper()
	if err := s.RotateRefreshToken(context.Background(), hash, at(time.Duration(gen)*time.Minute), newToken(next, grantID, gen)); err != nil {
		t.Fatalf("RotateRefreshToken(%s -> %s): %v", hash, next, err)
	}
}

func testGrantChain(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, _, err := s.GrantChain(ctx, "nope")
	wantErr(t, "GrantChain(unknown)", err, store.ErrNotFound)

	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	checkGrant(t, "GrantChain's grant", wantChain(t, s, "g1", 0), g)
	g2, b0 := newGrant("g2", "client-a", "alice")
	mustCreateGrant(t, s, g2, b0)

	prev := rt0.Hash
	for gen := 1; gen <= 3; gen++ {
		next := fmt.Sprintf("rt%d", gen)
		rotate(t, s, prev, next, "g1", gen)
		wantChain(t, s, "g1", gen)
		prev = next
	}
	wantChain(t, s, "g2", 0) // another grant's rotations are not this one's

	// A lost rotation moves nothing.
	err = s.RotateRefreshToken(ctx, "rt2", at(time.Hour), newToken("rt3-bis", "g1", 3))
	wantErr(t, "RotateRefreshToken(consumed)", err, store.ErrConflict)
	wantChain(t, s, "g1", 3)

	// A revoked grant is still returned, revoked, with its chain.
	if _, err := s.RevokeGrant(ctx, "g1", at(time.Hour), store.Event{}); err != nil {
		t.Fatal(err)
	}
	if got := wantChain(t, s, "g1", 3); !got.Revoked() {
		t.Error("GrantChain(revoked): grant not revoked")
	}

	// A tombstone is a revoked grant with no token: -1.
	if _, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g-tomb"), at(time.Hour), store.Event{}); err != nil {
		t.Fatal(err)
	}
	if got := wantChain(t, s, "g-tomb", -1); !got.Revoked() {
		t.Error("GrantChain(tombstone): grant not revoked")
	}
}

// wantPresent fails unless grant grantID holds every hash.
func wantPresent(t *testing.T, s store.Store, grantID string, hashes ...string) {
	t.Helper()
	for _, h := range hashes {
		if _, _, err := s.RefreshToken(context.Background(), grantID, h); err != nil {
			t.Errorf("RefreshToken(%s): %v, want it kept", h, err)
		}
	}
}

// A rotation deletes the old token's own predecessor, in the same write,
// and nothing else: not the old token (kept for a retry within grace), not
// another grant's, and a rotation that loses deletes nothing.
func testRotateDeletesPredecessor(t *testing.T, s store.Store) {
	ctx := context.Background()
	g1, rt0 := newGrant("g1", "client-a", "alice")
	g2, b0 := newGrant("g2", "client-a", "alice")
	mustCreateGrant(t, s, g1, rt0)
	mustCreateGrant(t, s, g2, b0)
	rotate(t, s, b0.Hash, "b1", "g2", 1)

	rotate(t, s, rt0.Hash, "rt1", "g1", 1)
	wantPresent(t, s, "g1", rt0.Hash, "rt1") // generation 0 has no predecessor
	wantPresent(t, s, "g2", b0.Hash, "b1")

	rotate(t, s, "rt1", "rt2", "g1", 2)
	wantGone(t, s, rt0.GrantID, rt0.Hash)
	wantPresent(t, s, "g1", "rt1", "rt2")
	wantPresent(t, s, "g2", b0.Hash, "b1")
	old, _ := mustToken(t, s, "g1", "rt1")
	want := newToken("rt1", "g1", 1)
	want.ConsumedAt, want.SuccessorHash = at(2*time.Minute), "rt2"
	checkToken(t, "the replaced token, kept", old, want)

	// Rotations that lose change nothing, deletions included.
	err := s.RotateRefreshToken(ctx, "rt2", at(time.Hour), newToken("rt1", "g1", 3))
	wantErr(t, "RotateRefreshToken onto a hash the grant holds", err, store.ErrConflict)
	err = s.RotateRefreshToken(ctx, "rt2", at(time.Hour), newToken("rt2", "g1", 3))
	wantErr(t, "RotateRefreshToken onto the presented token's own hash", err, store.ErrConflict)
	if err := s.RotateRefreshToken(ctx, "rt2", at(time.Hour), newToken("rt3", "g2", 3)); err == nil {
		t.Error("RotateRefreshToken into another grant: err = nil")
	}
	err = s.RotateRefreshToken(ctx, "rt1", at(time.Hour), newToken("rt2-bis", "g1", 2))
	wantErr(t, "RotateRefreshToken(consumed)", err, store.ErrConflict)
	wantPresent(t, s, "g1", "rt1", "rt2")
	wantPresent(t, s, "g2", b0.Hash, "b1")
	wantUnconsumed(t, s, "g1", "rt2")

	rotate(t, s, "rt2", "rt3", "g1", 3)
	wantGone(t, s, "g1", "rt1")
	wantPresent(t, s, "g1", "rt2", "rt3")
	wantPresent(t, s, "g2", b0.Hash, "b1")
	// A backend may write the successor over the row it deletes; every
	// field must still be the successor's.
	succ, _ := mustToken(t, s, "g1", "rt3")
	checkToken(t, "a successor that replaced its grandparent", succ, newToken("rt3", "g1", 3))

	rotate(t, s, "b1", "b2", "g2", 2)
	wantGone(t, s, b0.GrantID, b0.Hash)
	wantPresent(t, s, "g1", "rt2", "rt3")
	wantPresent(t, s, "g2", "b1", "b2")

	if _, err := s.RevokeGrant(ctx, "g1", at(time.Hour), store.Event{}); err != nil {
		t.Fatal(err)
	}
	err = s.RotateRefreshToken(ctx, "rt3", at(time.Hour), newToken("rt4", "g1", 4))
	wantErr(t, "RotateRefreshToken(revoked grant)", err, store.ErrConflict)
	wantPresent(t, s, "g1", "rt2", "rt3")
	wantGone(t, s, "g1", "rt4")
}

// Of racing rotations of a token that has a predecessor, the one that wins
// deletes it; the losers delete nothing (the winner's token, the presented
// one and the winner's successor all stay).
func testRotateConcurrentDeletes(t *testing.T, s store.Store) {
	const n = 50
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	rotate(t, s, rt0.Hash, "rt1", "g1", 1)
	winner := raceOnce(t, n, "rotation", func(i int) error {
		return s.RotateRefreshToken(context.Background(), "rt1", at(2*time.Minute), newToken(fmt.Sprintf("rt2-%02d", i), "g1", 2))
	})
	wantGone(t, s, rt0.GrantID, rt0.Hash)
	wantPresent(t, s, "g1", "rt1", fmt.Sprintf("rt2-%02d", winner))
	wantChain(t, s, "g1", 2)
}

// However often a grant refreshes, the store keeps two of its tokens.
func testChainRows(t *testing.T, b Backend, s store.Store) {
	if b.TokenRows == nil {
		t.Skip("the backend has no TokenRows hook")
	}
	const rotations = 1000
	g1, rt0 := newGrant("g1", "client-a", "alice")
	g2, b0 := newGrant("g2", "client-a", "alice")
	mustCreateGrant(t, s, g1, rt0)
	mustCreateGrant(t, s, g2, b0)
	if n := b.TokenRows(t, s, "g1"); n != 1 {
		t.Fatalf("a new grant holds %d token rows, want 1", n)
	}
	prev := rt0.Hash
	for gen := 1; gen <= rotations; gen++ {
		next := fmt.Sprintf("rt%d", gen)
		rotate(t, s, prev, next, "g1", gen)
		prev = next
		if gen <= 3 {
			if n := b.TokenRows(t, s, "g1"); n != min(gen+1, 2) {
				t.Fatalf("after %d rotations: %d token rows, want %d", gen, n, min(gen+1, 2))
			}
		}
	}
	if n := b.TokenRows(t, s, "g1"); n != 2 {
		t.Errorf("after %d rotations: %d token rows, want 2 (the live token and its predecessor)", rotations, n)
	}
	wantPresent(t, s, "g1", fmt.Sprintf("rt%d", rotations-1), fmt.Sprintf("rt%d", rotations))
	wantChain(t, s, "g1", rotations)
	if n := b.TokenRows(t, s, "g2"); n != 1 {
		t.Errorf("the other grant: %d token rows, want 1", n)
	}
	if _, _, err := s.RefreshToken(context.Background(), "g1", "rt500"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RefreshToken(generation 500): err = %v, want ErrNotFound", err)
	}
}
