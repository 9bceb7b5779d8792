package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Several nodes race to rotate one refresh token (a client retrying
// through a load balancer, or a stolen token replayed from elsewhere):
// each of n goroutines has its own handle on the database, as a node
// would, so the race is decided by the database's SQL and not by a lock in
// one process. Exactly one rotation wins; every other gets ErrConflict,
// never a serialization failure, a deadlock or a timeout; and the grant
// ends with exactly one live successor.
//
// The second round presents the winner's token again from every handle
// with one and the same successor hash, as concurrent retries do when the
// successor is derived from the presented token: the losers must still
// see ErrConflict, not a duplicate-key error from inserting the same hash.
func testRotateRaceHandles(t *testing.T, b Backend, s store.Store) {
	if b.Reopen == nil {
		t.Skip("the backend gives no Reopen (a second handle on the same database)")
	}
	const n = 64
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)

	handles := make([]store.Store, n)
	for i := range handles {
		h := b.Reopen(t, s)
		t.Cleanup(func() {
			if err := h.Close(); err != nil {
				t.Errorf("Close(handle %d): %v", i, err)
			}
		})
		// Connect before the race, so that it is a race of rotations.
		if _, _, err := h.RefreshToken(ctx, rt0.GrantID, rt0.Hash); err != nil {
			t.Fatalf("handle %d: RefreshToken: %v", i, err)
		}
		handles[i] = h
	}

	succ := func(i int) string { return fmt.Sprintf("rt1-%02d", i) }
	winner := raceOnce(t, n, "rotation", func(i int) error {
		return handles[i].RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken(succ(i), "g1", 1))
	})
	old, _ := mustToken(t, s, rt0.GrantID, rt0.Hash)
	if old.SuccessorHash != succ(winner) {
		t.Errorf("old token's successor = %q, want the winner's %q", old.SuccessorHash, succ(winner))
	}
	live := 0
	for i := range n {
		rt, _, err := s.RefreshToken(ctx, "g1", succ(i))
		switch {
		case err == nil && !rt.Consumed():
			live++
			if i != winner {
				t.Errorf("successor of loser %d exists", i)
			}
		case err == nil:
			t.Errorf("successor %d exists, consumed", i)
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("RefreshToken(successor %d): %v", i, err)
		}
	}
	if live != 1 {
		t.Errorf("%d live successors, want exactly 1", live)
	}
	if _, newest, err := s.GrantChain(ctx, "g1"); err != nil || newest != 1 {
		t.Errorf("GrantChain = newest generation %d, %v; want 1", newest, err)
	}

	// Round two: one successor hash for all.
	raceOnce(t, n, "rotation with a shared successor", func(i int) error {
		return handles[i].RotateRefreshToken(ctx, succ(winner), at(2*time.Minute), newToken("rt2", "g1", 2))
	})
	rt2, _ := mustToken(t, s, "g1", "rt2")
	checkToken(t, "shared successor", rt2, newToken("rt2", "g1", 2))
	if got, _ := mustToken(t, s, "g1", succ(winner)); got.SuccessorHash != "rt2" {
		t.Errorf("first successor's successor = %q, want rt2", got.SuccessorHash)
	}
}
