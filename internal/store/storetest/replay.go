package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// AuthCode reads a code as stored and changes nothing: the token endpoint
// checks the client, redirect_uri and PKCE on it before consuming it.
func testAuthCodeRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newCode("code-1")
	if err := s.CreateAuthCode(ctx, c); err != nil {
		t.Fatalf("CreateAuthCode: %v", err)
	}
	_, err := s.AuthCode(ctx, "nope")
	wantErr(t, "AuthCode(unknown)", err, store.ErrNotFound)
	for range 2 { // reading twice consumes nothing
		got, err := s.AuthCode(ctx, "code-1")
		if err != nil {
			t.Fatalf("AuthCode: %v", err)
		}
		checkCode(t, "code read before redemption", got, c)
	}
	if _, err := s.ConsumeAuthCode(ctx, "code-1", at(10*time.Second), "g1"); err != nil {
		t.Fatalf("ConsumeAuthCode after reads: %v", err)
	}
	got, err := s.AuthCode(ctx, "code-1")
	if err != nil {
		t.Fatalf("AuthCode after redemption: %v", err)
	}
	want := c
	want.ConsumedAt, want.GrantID = at(10*time.Second), "g1"
	checkCode(t, "code read after redemption", got, want)
}

// tombstoneFor is the tombstone a code replay writes for grant id.
func tombstoneFor(id string) store.Grant {
	return store.Grant{ID: id, ClientID: "client-a", Subject: "alice", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
}

// A replay that lands after the first redemption consumed the code (and
// recorded its grant id) but before that grant exists: the tombstone makes
// the later CreateGrant fail, so the grant never becomes usable.
func testReplayBeforeGrantExists(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateAuthCode(ctx, newCode("code-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeAuthCode(ctx, "code-1", at(time.Second), "g1"); err != nil {
		t.Fatal(err)
	}
	replayed, err := s.ConsumeAuthCode(ctx, "code-1", at(2*time.Second), "g-replay")
	wantErr(t, "ConsumeAuthCode(replay)", err, store.ErrConflict)
	out, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor(replayed.GrantID), at(2*time.Second), store.Event{})
	if err != nil || out != store.Tombstoned {
		t.Fatalf("RevokeGrantOrTombstone(no grant yet) = %v, %v; want tombstoned", out, err)
	}
	// The first redemption now tries to create its grant: refused.
	g, rt := newGrant("g1", "client-a", "alice")
	wantErr(t, "CreateGrant after the tombstone", s.CreateGrant(ctx, g, rt, store.Event{}), store.ErrConflict)
	wantGone(t, s, rt.GrantID, rt.Hash)
	if got := mustGrant(t, s, "g1"); !got.Revoked() || !sameTime(got.RevokedAt, at(2*time.Second)) {
		t.Errorf("tombstone: revoked at %v, want %v", got.RevokedAt, at(2*time.Second))
	}
	// A second replay finds it revoked and changes nothing; a bulk
	// revocation does not count it.
	if out, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g1"), at(3*time.Second), store.Event{}); err != nil || out != store.AlreadyRevoked {
		t.Errorf("RevokeGrantOrTombstone(tombstone) = %v, %v; want already revoked", out, err)
	}
	if n, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a"}, at(4*time.Second), store.Event{}); err != nil || n != 0 {
		t.Errorf("RevokeGrants over a tombstone = %d, %v; want 0", n, err)
	}
	if got := mustGrant(t, s, "g1"); !sameTime(got.RevokedAt, at(2*time.Second)) {
		t.Errorf("tombstone's RevokedAt moved to %v", got.RevokedAt)
	}
	// It goes with the janitor once expired, not before.
	if _, err := s.DeleteExpired(ctx, at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustGrant(t, s, "g1")
	if _, err := s.DeleteExpired(ctx, at(time.Hour+time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.GrantChain(ctx, "g1")
	wantErr(t, "Grant(expired tombstone)", err, store.ErrNotFound)
}

// A replay after the grant exists revokes it, at once, for every token of it.
func testReplayAfterGrantExists(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	out, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g1"), at(time.Minute), store.Event{})
	if err != nil || out != store.Revoked {
		t.Fatalf("RevokeGrantOrTombstone(live grant) = %v, %v; want revoked", out, err)
	}
	want := g
	want.RevokedAt = at(time.Minute)
	checkGrant(t, "revoked grant (not overwritten by the tombstone)", mustGrant(t, s, "g1"), want)
	wantErr(t, "RotateRefreshToken(revoked)", s.RotateRefreshToken(ctx, rt0.Hash, at(2*time.Minute), newToken("rt1", "g1", 1)), store.ErrConflict)
	if out, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g1"), at(2*time.Minute), store.Event{}); err != nil || out != store.AlreadyRevoked {
		t.Errorf("second RevokeGrantOrTombstone = %v, %v; want already revoked", out, err)
	}
}

// CreateGrant racing a replay's RevokeGrantOrTombstone: whichever lands
// first, the grant ends up revoked, and the two agree on what happened.
func testReplayRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 40
	for i := range n {
		id := fmt.Sprintf("g-%d", i)
		g, rt := newGrant(id, "client-a", "alice")
		var (
			createErr error
			out       store.Revocation
			revErr    error
			wg        sync.WaitGroup
		)
		start := make(chan struct{})
		wg.Go(func() { <-start; createErr = s.CreateGrant(ctx, g, rt, store.Event{}) })
		wg.Go(func() {
			<-start
			out, revErr = s.RevokeGrantOrTombstone(ctx, tombstoneFor(id), at(time.Minute), store.Event{})
		})
		close(start)
		wg.Wait()
		if revErr != nil {
			t.Fatalf("%s: RevokeGrantOrTombstone: %v", id, revErr)
		}
		switch {
		case createErr == nil && out == store.Revoked:
		case errors.Is(createErr, store.ErrConflict) && out == store.Tombstoned:
			wantGone(t, s, rt.GrantID, rt.Hash)
		default:
			t.Fatalf("%s: CreateGrant = %v, replay = %v; want (nil, revoked) or (ErrConflict, tombstoned)", id, createErr, out)
		}
		if !mustGrant(t, s, id).Revoked() {
			t.Fatalf("%s: grant usable after a replay", id)
		}
	}
}
