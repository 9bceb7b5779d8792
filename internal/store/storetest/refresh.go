package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

func testGrantRoundTrip(t *testing.T, s store.Store) {
	g, rt := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt)
	checkGrant(t, "Grant", mustGrant(t, s, g.ID), g)
	gotRT, gotG := mustToken(t, s, rt.GrantID, rt.Hash)
	checkToken(t, "RefreshToken", gotRT, rt)
	checkGrant(t, "RefreshToken's grant", gotG, g)

	// Optional fields left empty round-trip as empty.
	bare := store.Grant{ID: "g2", ClientID: "client-a", Subject: "bob", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	mustCreateGrant(t, s, bare, newToken("rt-bare", "g2", 0))
	checkGrant(t, "bare Grant", mustGrant(t, s, "g2"), bare)
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, _, err := s.GrantChain(ctx, "nope")
	wantErr(t, "Grant(unknown)", err, store.ErrNotFound)
	_, _, err = s.RefreshToken(ctx, "g1", "nope")
	wantErr(t, "RefreshToken(unknown)", err, store.ErrNotFound)
}

// CreateGrant is one transaction: when the token cannot be written, neither
// is the grant.
func testCreateGrantConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt)

	dupID, _ := newGrant("g1", "client-b", "bob")
	err := s.CreateGrant(ctx, dupID, newToken("rt-other", "g1", 0), store.Event{})
	wantErr(t, "CreateGrant(duplicate id)", err, store.ErrConflict)
	wantGone(t, s, "g1", "rt-other")
	checkGrant(t, "grant after duplicate", mustGrant(t, s, "g1"), g)

	g3, _ := newGrant("g3", "client-a", "alice")
	if err := s.CreateGrant(ctx, g3, newToken("rt-g3", "g1", 0), store.Event{}); err == nil {
		t.Error("CreateGrant with first.GrantID of another grant: err = nil")
	}
	_, _, err = s.GrantChain(ctx, "g3")
	wantErr(t, "Grant after mismatched CreateGrant", err, store.ErrNotFound)
	wantGone(t, s, "g1", "rt-g3")
	wantGone(t, s, "g3", "rt-g3")
}

func testRotate(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)

	rt1 := newToken("rt1", "g1", 1)
	if err := s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), rt1); err != nil {
		t.Fatalf("RotateRefreshToken: %v", err)
	}
	old, _ := mustToken(t, s, rt0.GrantID, rt0.Hash)
	want := rt0
	want.ConsumedAt, want.SuccessorHash = at(time.Minute), rt1.Hash
	checkToken(t, "old token", old, want)
	if !old.Consumed() {
		t.Error("old token: Consumed() = false")
	}
	got, gotG := mustToken(t, s, rt1.GrantID, rt1.Hash)
	checkToken(t, "successor", got, rt1)
	checkGrant(t, "successor's grant", gotG, g)

	// The chain goes on from the successor.
	rt2 := newToken("rt2", "g1", 2)
	if err := s.RotateRefreshToken(ctx, rt1.Hash, at(2*time.Minute), rt2); err != nil {
		t.Fatalf("second-generation RotateRefreshToken: %v", err)
	}
	got, _ = mustToken(t, s, rt2.GrantID, rt2.Hash)
	checkToken(t, "second successor", got, rt2)
}

func testRotateTwice(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	if err := s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken("rt1", "g1", 1)); err != nil {
		t.Fatalf("first RotateRefreshToken: %v", err)
	}
	err := s.RotateRefreshToken(ctx, rt0.Hash, at(2*time.Minute), newToken("rt1-bis", "g1", 1))
	wantErr(t, "second RotateRefreshToken", err, store.ErrConflict)
	wantGone(t, s, "g1", "rt1-bis")
	old, _ := mustToken(t, s, rt0.GrantID, rt0.Hash)
	if old.SuccessorHash != "rt1" || !sameTime(old.ConsumedAt, at(time.Minute)) {
		t.Errorf("old token after lost rotation: successor %q consumed %v; want rt1 at %v",
			old.SuccessorHash, old.ConsumedAt, at(time.Minute))
	}
}

func testRotateRevoked(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	if _, err := s.RevokeGrant(ctx, "g1", at(time.Second), store.Event{}); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}
	err := s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken("rt1", "g1", 1))
	wantErr(t, "RotateRefreshToken on revoked grant", err, store.ErrConflict)
	wantGone(t, s, "g1", "rt1")
	wantUnconsumed(t, s, rt0.GrantID, rt0.Hash)
}

func testRotateUnknown(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	err := s.RotateRefreshToken(ctx, "nope", at(time.Minute), newToken("rt1", "g1", 1))
	wantErr(t, "RotateRefreshToken(unknown)", err, store.ErrNotFound)
	wantGone(t, s, "g1", "rt1")
}

// A successor hash the grant already holds loses like any other
// conditional write, and the old token stays usable ("changes nothing").
// (Hashes are unique within a grant; across grants a named token's value,
// which contains its grant id, makes them so: store.Store.RefreshToken.)
func testRotateDuplicateSuccessor(t *testing.T, s store.Store) {
	ctx := context.Background()
	g1, a := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g1, a)
	a1 := newToken("rt1", "g1", 1)
	if err := s.RotateRefreshToken(ctx, a.Hash, at(time.Minute), a1); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []string{a.Hash, a1.Hash} {
		err := s.RotateRefreshToken(ctx, a1.Hash, at(2*time.Minute), newToken(dup, "g1", 2))
		wantErr(t, "RotateRefreshToken onto a hash the grant holds ("+dup+")", err, store.ErrConflict)
		wantUnconsumed(t, s, a1.GrantID, a1.Hash)
	}
	got, _ := mustToken(t, s, a.GrantID, a.Hash)
	want := a
	want.ConsumedAt, want.SuccessorHash = at(time.Minute), a1.Hash
	checkToken(t, "the predecessor, kept", got, want)
	if _, newest, err := s.GrantChain(ctx, "g1"); err != nil || newest != 1 {
		t.Errorf("GrantChain after refused rotations: newest %d, %v; want 1", newest, err)
	}
}

// A successor must stay in its predecessor's family, or revoking one grant
// would miss it: a token is keyed by its grant, so another grant holds no
// such token, and nothing changes.
func testRotateOtherGrant(t *testing.T, s store.Store) {
	ctx := context.Background()
	g1, a := newGrant("g1", "client-a", "alice")
	g2, b := newGrant("g2", "client-a", "alice")
	mustCreateGrant(t, s, g1, a)
	mustCreateGrant(t, s, g2, b)
	err := s.RotateRefreshToken(ctx, a.Hash, at(time.Minute), newToken("rt1", "g2", 1))
	wantErr(t, "RotateRefreshToken into another grant", err, store.ErrNotFound)
	wantUnconsumed(t, s, a.GrantID, a.Hash)
	wantUnconsumed(t, s, b.GrantID, b.Hash)
	wantGone(t, s, "g1", "rt1")
	wantGone(t, s, "g2", "rt1")
	// Nor is a token found, or extended, in a grant it is not in.
	wantGone(t, s, "g2", a.Hash)
	err = s.ExtendRefreshToken(ctx, "g2", a.Hash, at(48*time.Hour))
	wantErr(t, "ExtendRefreshToken in another grant", err, store.ErrNotFound)
}

// Many requests race to rotate one token (a client retrying, or an attacker
// replaying a stolen token): exactly one may win, or two valid successors
// would exist for one presented token.
func testRotateConcurrent(t *testing.T, s store.Store) {
	const n = 50
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)

	winner := raceOnce(t, n, "rotation", func(i int) error {
		next := newToken(fmt.Sprintf("rt1-%02d", i), "g1", 1)
		return s.RotateRefreshToken(context.Background(), rt0.Hash, at(time.Minute), next)
	})
	old, _ := mustToken(t, s, rt0.GrantID, rt0.Hash)
	if want := fmt.Sprintf("rt1-%02d", winner); old.SuccessorHash != want {
		t.Errorf("old token's successor = %q, want the winner's %q", old.SuccessorHash, want)
	}
	for i := range n {
		_, _, err := s.RefreshToken(context.Background(), "g1", fmt.Sprintf("rt1-%02d", i))
		switch {
		case i == winner && err != nil:
			t.Errorf("winning successor %d: %v", i, err)
		case i != winner && !errors.Is(err, store.ErrNotFound):
			t.Errorf("losing successor %d: err = %v, want ErrNotFound", i, err)
		}
	}
}

func testExtend(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)

	if err := s.ExtendRefreshToken(ctx, rt0.GrantID, rt0.Hash, at(48*time.Hour)); err != nil {
		t.Fatalf("ExtendRefreshToken: %v", err)
	}
	got, gotG := mustToken(t, s, rt0.GrantID, rt0.Hash)
	want := rt0
	want.ExpiresAt = at(48 * time.Hour)
	checkToken(t, "extended token", got, want)
	checkGrant(t, "grant of extended token", gotG, g) // the grant's cap never moves

	err := s.ExtendRefreshToken(ctx, "g1", "nope", at(48*time.Hour))
	wantErr(t, "ExtendRefreshToken(unknown)", err, store.ErrNotFound)

	if err := s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken("rt1", "g1", 1)); err != nil {
		t.Fatalf("RotateRefreshToken: %v", err)
	}
	err = s.ExtendRefreshToken(ctx, rt0.GrantID, rt0.Hash, at(72*time.Hour))
	wantErr(t, "ExtendRefreshToken(consumed)", err, store.ErrConflict)
	if got, _ := mustToken(t, s, rt0.GrantID, rt0.Hash); !sameTime(got.ExpiresAt, at(48*time.Hour)) {
		t.Errorf("consumed token's expiry moved to %v", got.ExpiresAt)
	}

	if _, err := s.RevokeGrant(ctx, "g1", at(2*time.Minute), store.Event{}); err != nil {
		t.Fatalf("RevokeGrant: %v", err)
	}
	err = s.ExtendRefreshToken(ctx, "g1", "rt1", at(72*time.Hour))
	wantErr(t, "ExtendRefreshToken(revoked grant)", err, store.ErrConflict)
	if got, _ := mustToken(t, s, "g1", "rt1"); !sameTime(got.ExpiresAt, newToken("rt1", "g1", 1).ExpiresAt) {
		t.Errorf("revoked grant's token expiry moved to %v", got.ExpiresAt)
	}
}
