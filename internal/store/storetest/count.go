package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// testCountLiveGrants: a live grant is neither revoked (a tombstone is
// revoked) nor past its absolute expiry; rotations and the tokens a grant
// holds do not change the count.
func testCountLiveGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	count := func(what string, now time.Time, want int) {
		t.Helper()
		n, err := s.CountLiveGrants(ctx, now)
		if err != nil || n != want {
			t.Errorf("%s: CountLiveGrants = %d, %v; want %d, nil", what, n, err, want)
		}
	}
	count("empty store", at(0), 0)
	for _, id := range []string{"g1", "g2", "g3", "g4"} {
		g, rt := newGrant(id, "client-a", "alice")
		if id == "g4" {
			g.ExpiresAt = at(time.Hour) // ends before the others (30 days)
		}
		mustCreateGrant(t, s, g, rt)
	}
	count("four grants", at(time.Minute), 4)
	// A rotation adds a token row, not a grant.
	if err := s.RotateRefreshToken(ctx, "rt0-g1", at(2*time.Minute), newToken("rt1-g1", "g1", 1)); err != nil {
		t.Fatal(err)
	}
	count("after a rotation", at(2*time.Minute), 4)
	if _, err := s.RevokeGrant(ctx, "g2", at(3*time.Minute), store.Event{}); err != nil {
		t.Fatal(err)
	}
	count("one revoked", at(3*time.Minute), 3)
	// A tombstone (code replay before its grant exists) is no live grant.
	tomb := store.Grant{ID: "tomb", ClientID: "client-a", Subject: "alice", CreatedAt: at(0), ExpiresAt: at(2 * time.Hour)}
	if _, err := s.RevokeGrantOrTombstone(ctx, tomb, at(4*time.Minute), store.Event{}); err != nil {
		t.Fatal(err)
	}
	count("with a tombstone", at(4*time.Minute), 3)
	// At its absolute expiry a grant is no longer live.
	count("just before g4's expiry", at(time.Hour-time.Microsecond), 3)
	count("at g4's expiry", at(time.Hour), 2)
}
