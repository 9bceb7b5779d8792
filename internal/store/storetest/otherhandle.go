package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A write through another handle on the same database (another node, or
// the `tollgate revoke` CLI on the SQLite file) is seen by the next lookup
// of this one, however warm this handle is: a revoked grant reads revoked
// and cannot rotate, a token rotated elsewhere reads consumed and names its
// successor. A backend that kept token state in memory between calls, or
// answered a lookup from a snapshot taken before it was asked, fails here.
func testOtherHandleSeenAtOnce(t *testing.T, b Backend, s store.Store) {
	if b.Reopen == nil {
		t.Skip("the backend gives no Reopen (a second handle on the same database)")
	}
	ctx := context.Background()
	other := b.Reopen(t, s)
	t.Cleanup(func() {
		if err := other.Close(); err != nil {
			t.Errorf("Close(other): %v", err)
		}
	})
	g1, a0 := newGrant("g1", "client-a", "alice")
	g2, b0 := newGrant("g2", "client-a", "bob")
	mustCreateGrant(t, s, g1, a0)
	mustCreateGrant(t, s, g2, b0)

	// Warm this handle: every token read many times, with writes of its
	// own in between (as under load), before the other handle writes.
	a1 := newToken("rt1-g1", "g1", 1)
	if err := s.RotateRefreshToken(ctx, a0.Hash, at(time.Minute), a1); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		for _, tok := range []store.RefreshToken{a0, a1, b0} {
			if _, _, err := s.RefreshToken(ctx, tok.GrantID, tok.Hash); err != nil {
				t.Fatalf("RefreshToken(%s): %v", tok.Hash, err)
			}
		}
	}

	if ok, err := other.RevokeGrant(ctx, "g1", at(2*time.Minute), store.Event{}); err != nil || !ok {
		t.Fatalf("other: RevokeGrant = %v, %v", ok, err)
	}
	b1 := newToken("rt1-g2", "g2", 1)
	if err := other.RotateRefreshToken(ctx, b0.Hash, at(3*time.Minute), b1); err != nil {
		t.Fatalf("other: RotateRefreshToken: %v", err)
	}

	if _, g, err := s.RefreshToken(ctx, a1.GrantID, a1.Hash); err != nil || g.RevokedAt.IsZero() {
		t.Errorf("after a revocation elsewhere: grant RevokedAt = %v, %v; want it set", g.RevokedAt, err)
	}
	err := s.RotateRefreshToken(ctx, a1.Hash, at(4*time.Minute), newToken("rt2-g1", "g1", 2))
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("rotating a token of a grant revoked elsewhere: err = %v, want ErrConflict", err)
	}
	if rt, _, err := s.RefreshToken(ctx, b0.GrantID, b0.Hash); err != nil || !rt.Consumed() || rt.SuccessorHash != b1.Hash {
		t.Errorf("after a rotation elsewhere: consumed %v, successor %q, %v; want consumed, %q", rt.Consumed(), rt.SuccessorHash, err, b1.Hash)
	}
	if rt, _, err := s.RefreshToken(ctx, b1.GrantID, b1.Hash); err != nil || rt.Consumed() {
		t.Errorf("the successor written elsewhere: consumed %v, %v; want live", rt.Consumed(), err)
	}
	if err := s.RotateRefreshToken(ctx, b0.Hash, at(5*time.Minute), newToken("rt1b-g2", "g2", 1)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rotating a token rotated elsewhere: err = %v, want ErrConflict", err)
	}
}
