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

func testAuthCode(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newCode("code-1")
	if err := s.CreateAuthCode(ctx, c); err != nil {
		t.Fatalf("CreateAuthCode: %v", err)
	}
	dup := newCode("code-1")
	dup.ClientID = "client-b"
	wantErr(t, "CreateAuthCode(duplicate)", s.CreateAuthCode(ctx, dup), store.ErrConflict)

	// The first redemption consumes the code and records its grant at once.
	got, err := s.ConsumeAuthCode(ctx, "code-1", at(10*time.Second), "g1")
	if err != nil {
		t.Fatalf("first ConsumeAuthCode: %v", err)
	}
	want := c // the duplicate did not overwrite anything
	want.ConsumedAt = at(10 * time.Second)
	want.GrantID = "g1"
	checkCode(t, "consumed code", got, want)

	// RFC 6749 §4.1.2: a second redemption gets the stored code back, with
	// the grant issued from it, so the caller can revoke that grant; its own
	// time and grant id change nothing.
	got, err = s.ConsumeAuthCode(ctx, "code-1", at(20*time.Second), "g2")
	wantErr(t, "second ConsumeAuthCode", err, store.ErrConflict)
	checkCode(t, "code from second ConsumeAuthCode", got, want)
	got, err = s.ConsumeAuthCode(ctx, "code-1", at(30*time.Second), "g3")
	wantErr(t, "third ConsumeAuthCode", err, store.ErrConflict)
	checkCode(t, "code from third ConsumeAuthCode", got, want)

	_, err = s.ConsumeAuthCode(ctx, "nope", at(time.Second), "g4")
	wantErr(t, "ConsumeAuthCode(unknown)", err, store.ErrNotFound)
	if _, _, err := s.GrantChain(ctx, "g4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Grant(g4) after ConsumeAuthCode(unknown): err = %v, want ErrNotFound", err)
	}

	// Optional fields left empty round-trip as empty.
	bare := store.AuthCode{Hash: "code-2", ClientID: "client-a", Subject: "bob", CreatedAt: at(0), ExpiresAt: at(time.Minute)}
	if err := s.CreateAuthCode(ctx, bare); err != nil {
		t.Fatalf("CreateAuthCode(bare): %v", err)
	}
	got, err = s.ConsumeAuthCode(ctx, "code-2", at(time.Second), "g-bare")
	if err != nil {
		t.Fatalf("ConsumeAuthCode(bare): %v", err)
	}
	bare.ConsumedAt = at(time.Second)
	bare.GrantID = "g-bare"
	checkCode(t, "bare code", got, bare)
}

func testAuthCodeConcurrent(t *testing.T, s store.Store) {
	const n = 50
	if err := s.CreateAuthCode(context.Background(), newCode("code-1")); err != nil {
		t.Fatalf("CreateAuthCode: %v", err)
	}
	codes := make([]store.AuthCode, n)
	winner := raceOnce(t, n, "redemption", func(i int) error {
		var err error
		codes[i], err = s.ConsumeAuthCode(context.Background(), "code-1", at(time.Duration(i+1)*time.Second), grantOf(i))
		return err
	})
	// Every loser sees the winner's redemption time and grant id, the ones
	// stored together: none can find the code consumed but its grant unset.
	won, wonGrant := at(time.Duration(winner+1)*time.Second), grantOf(winner)
	for i, c := range codes {
		if c.Hash != "code-1" || !sameTime(c.ConsumedAt, won) || c.GrantID != wonGrant {
			t.Errorf("redemption %d returned hash %q consumed at %v for grant %q; want code-1 at %v for %q",
				i, c.Hash, c.ConsumedAt, c.GrantID, won, wonGrant)
		}
	}
	// And so does a later replay.
	c, err := s.ConsumeAuthCode(context.Background(), "code-1", at(time.Hour), "g-late")
	wantErr(t, "ConsumeAuthCode(after the race)", err, store.ErrConflict)
	if !sameTime(c.ConsumedAt, won) || c.GrantID != wonGrant {
		t.Errorf("replay after the race = consumed at %v for grant %q; want %v for %q", c.ConsumedAt, c.GrantID, won, wonGrant)
	}
}

// grantOf names the grant redemption i of a concurrent test would issue.
func grantOf(i int) string { return fmt.Sprintf("g-%d", i) }

// UseJTI under load: many callers at once, as the token endpoint sends
// them (a DPoP proof's and an assertion's id per request), some with the
// same id. Each id is taken exactly once, by whichever caller came first,
// also when a backend records them in batches: two uses of one id in the
// same batch are still one use and one ErrConflict. Ten ids used five
// times each, all at once.
func testUseJTIConcurrent(t *testing.T, s store.Store) {
	const ids, each = 10, 5
	now := at(0)
	won := make([]int, ids)
	var mu sync.Mutex
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ids * each {
		wg.Go(func() {
			<-start
			id := i % ids
			err := s.UseJTI(context.Background(), "client-a", fmt.Sprintf("jti-%d", id), now.Add(time.Hour), now)
			switch {
			case err == nil:
				mu.Lock()
				won[id]++
				mu.Unlock()
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("UseJTI(jti-%d): %v, want nil or ErrConflict", id, err)
			}
		})
	}
	close(start)
	wg.Wait()
	for id, n := range won {
		if n != 1 {
			t.Errorf("jti-%d was taken %d times by %d concurrent callers, want once", id, n, each)
		}
	}
}

// UseJTI takes the caller's clock: a stored id is expired once its
// expiresAt is strictly before the new call's now, and then it may be used
// again, whatever the wall clock says.
func testUseJTI(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := at(0)
	later := now.Add(time.Hour)
	if err := s.UseJTI(ctx, "client-a", "jti-1", later, now); err != nil {
		t.Fatalf("first UseJTI: %v", err)
	}
	wantErr(t, "UseJTI(replay)", s.UseJTI(ctx, "client-a", "jti-1", later, now), store.ErrConflict)
	if err := s.UseJTI(ctx, "client-b", "jti-1", later, now); err != nil {
		t.Errorf("UseJTI(same jti, other client): %v", err)
	}
	// Still live a second before its expiry, reusable a second after.
	wantErr(t, "UseJTI(replay just before expiry)",
		s.UseJTI(ctx, "client-a", "jti-1", later.Add(time.Hour), later.Add(-time.Second)), store.ErrConflict)
	if err := s.UseJTI(ctx, "client-a", "jti-1", later.Add(time.Hour), later.Add(time.Second)); err != nil {
		t.Errorf("UseJTI(just after expiry): %v", err)
	}

	if err := s.UseJTI(ctx, "client-a", "jti-old", now.Add(-time.Minute), now); err != nil {
		t.Fatalf("UseJTI(already expired): %v", err)
	}
	if err := s.UseJTI(ctx, "client-a", "jti-old", later, now); err != nil {
		t.Errorf("UseJTI(reuse after expiry): %v", err)
	}
	// The reuse stored the new expiry, so the id is taken again.
	wantErr(t, "UseJTI(replay after reuse)", s.UseJTI(ctx, "client-a", "jti-old", later, now), store.ErrConflict)

	// The caller's clock decides, not time.Now(): an id live by the wall
	// clock is expired for a caller a year ahead, and one expired by the
	// wall clock is live for a caller a year behind.
	wall := time.Now()
	ahead, behind := wall.AddDate(1, 0, 0), wall.AddDate(-1, 0, 0)
	if err := s.UseJTI(ctx, "client-a", "jti-wall-live", wall.Add(time.Hour), wall); err != nil {
		t.Fatalf("UseJTI(jti-wall-live): %v", err)
	}
	if err := s.UseJTI(ctx, "client-a", "jti-wall-live", ahead.Add(time.Hour), ahead); err != nil {
		t.Errorf("UseJTI(expired by the caller's clock, live by the wall clock): %v", err)
	}
	if err := s.UseJTI(ctx, "client-a", "jti-wall-dead", wall.Add(-time.Hour), behind); err != nil {
		t.Fatalf("UseJTI(jti-wall-dead): %v", err)
	}
	wantErr(t, "UseJTI(live by the caller's clock, expired by the wall clock)",
		s.UseJTI(ctx, "client-a", "jti-wall-dead", wall.Add(time.Hour), behind), store.ErrConflict)

	// A zero expiry never expires.
	if err := s.UseJTI(ctx, "client-a", "jti-forever", time.Time{}, now); err != nil {
		t.Fatalf("UseJTI(zero expiry): %v", err)
	}
	wantErr(t, "UseJTI(zero expiry, a century on)",
		s.UseJTI(ctx, "client-a", "jti-forever", later, now.AddDate(100, 0, 0)), store.ErrConflict)

	// A zero now is an error, and records nothing.
	if err := s.UseJTI(ctx, "client-a", "jti-zero", later, time.Time{}); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("UseJTI(zero now): err = %v, want an error other than ErrConflict", err)
	}
	if err := s.UseJTI(ctx, "client-a", "jti-zero", later, now); err != nil {
		t.Errorf("UseJTI after the zero-now call: %v", err)
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("SigningKeys(empty store) = %d keys, %v; want 0, nil", len(keys), err)
	}
	k1 := store.SigningKey{ID: "k1", Algorithm: "RS256", Sealed: []byte{0, 1, 2, 0xff, 0, 0x80}, CreatedAt: at(-2 * time.Hour)}
	k2 := store.SigningKey{ID: "k2", Algorithm: "ES256", Sealed: []byte("sealed\x00two"), CreatedAt: at(-time.Hour)}
	// k3 is a next key: created now, signing only from its activation
	// time, which the store keeps as it was given. k1 and k2 have none
	// (zero: active from creation) and must read back zero.
	k3 := store.SigningKey{ID: "k3", Algorithm: "EdDSA", Sealed: make([]byte, 4096), CreatedAt: at(0), ActivatesAt: at(15*time.Minute + 7*time.Microsecond)}
	k3.Sealed[4095] = 7
	for _, k := range []store.SigningKey{k2, k3, k1} { // not in age order
		if err := s.AddSigningKey(ctx, k, store.Event{}); err != nil {
			t.Fatalf("AddSigningKey(%s): %v", k.ID, err)
		}
	}
	dup := k1
	dup.Algorithm = "HS256"
	wantErr(t, "AddSigningKey(duplicate id)", s.AddSigningKey(ctx, dup, store.Event{}), store.ErrConflict)

	keys, err = s.SigningKeys(ctx)
	if err != nil {
		t.Fatalf("SigningKeys: %v", err)
	}
	want := []store.SigningKey{k1, k2, k3}
	if len(keys) != len(want) {
		t.Fatalf("SigningKeys returned %d keys, want %d", len(keys), len(want))
	}
	for i := range want {
		checkKey(t, "key "+want[i].ID, keys[i], want[i])
	}
}

func testDeleteExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := at(0)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)

	// A live grant with one expired and one live token.
	live, liveRT := newGrant("live", "client-a", "alice")
	live.ExpiresAt = future
	liveRT.ExpiresAt = future
	mustCreateGrant(t, s, live, liveRT)
	if err := s.ExtendRefreshToken(ctx, liveRT.GrantID, liveRT.Hash, past); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRefreshToken(ctx, liveRT.Hash, now, store.RefreshToken{Hash: "live-next", GrantID: "live", Generation: 1, CreatedAt: now, ExpiresAt: future}); err != nil {
		t.Fatal(err)
	}
	// An expired grant takes its tokens with it, expired or not.
	dead, deadRT := newGrant("dead", "client-a", "alice")
	dead.ExpiresAt = past
	deadRT.ExpiresAt = future
	mustCreateGrant(t, s, dead, deadRT)
	if err := s.RotateRefreshToken(ctx, deadRT.Hash, now, store.RefreshToken{Hash: "dead-next", GrantID: "dead", Generation: 1, CreatedAt: now, ExpiresAt: future}); err != nil {
		t.Fatal(err)
	}
	// A zero expiry means none: kept.
	forever, foreverRT := newGrant("forever", "client-a", "alice")
	forever.ExpiresAt, foreverRT.ExpiresAt = time.Time{}, time.Time{}
	mustCreateGrant(t, s, forever, foreverRT)

	for hash, exp := range map[string]time.Time{"code-old": past, "code-new": future, "code-forever": {}} {
		c := newCode(hash)
		c.ExpiresAt = exp
		if err := s.CreateAuthCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// A jti that expired an hour ago, and one that expires in an hour.
	if err := s.UseJTI(ctx, "client-a", "jti-old", past, now); err != nil {
		t.Fatal(err)
	}
	if err := s.UseJTI(ctx, "client-a", "jti-new", future, now); err != nil {
		t.Fatal(err)
	}

	n, err := s.DeleteExpired(ctx, now)
	// Gone: token rt0-live; grant dead with rt0-dead and dead-next; code-old; jti-old.
	if err != nil || n != 6 {
		t.Errorf("DeleteExpired = %d, %v; want 6, nil", n, err)
	}
	wantGone(t, s, liveRT.GrantID, liveRT.Hash)
	wantGone(t, s, deadRT.GrantID, deadRT.Hash)
	wantGone(t, s, "dead", "dead-next")
	if _, _, err := s.GrantChain(ctx, "dead"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Grant(expired): err = %v, want ErrNotFound", err)
	}
	mustGrant(t, s, "live")
	mustToken(t, s, "live", "live-next")
	mustGrant(t, s, "forever")
	mustToken(t, s, foreverRT.GrantID, foreverRT.Hash)

	_, err = s.ConsumeAuthCode(ctx, "code-old", now, "g-old")
	wantErr(t, "ConsumeAuthCode(expired and deleted)", err, store.ErrNotFound)
	for _, h := range []string{"code-new", "code-forever"} {
		if _, err := s.ConsumeAuthCode(ctx, h, now, "g-"+h); err != nil {
			t.Errorf("ConsumeAuthCode(%s): %v", h, err)
		}
	}
	wantErr(t, "UseJTI(live, kept)", s.UseJTI(ctx, "client-a", "jti-new", future, now), store.ErrConflict)
	// The deleted id is free again, even for a caller whose clock says it
	// would still be live.
	if err := s.UseJTI(ctx, "client-a", "jti-old", future, past.Add(-time.Minute)); err != nil {
		t.Errorf("UseJTI(expired and deleted): %v", err)
	}

	if n, err := s.DeleteExpired(ctx, now); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
	}
}

// Zero means "not yet" in ConsumedAt and RevokedAt, so writing a zero event
// time would silently record nothing and leave a one-shot value reusable.
func testZeroEventTime(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	if err := s.CreateAuthCode(ctx, newCode("code-1")); err != nil {
		t.Fatal(err)
	}
	var zero time.Time

	if err := s.RotateRefreshToken(ctx, rt0.Hash, zero, newToken("rt1", "g1", 1)); err == nil {
		t.Error("RotateRefreshToken(zero consumedAt): err = nil")
	}
	wantUnconsumed(t, s, rt0.GrantID, rt0.Hash)
	wantGone(t, s, "g1", "rt1")

	if _, err := s.RevokeGrant(ctx, "g1", zero, store.Event{}); err == nil {
		t.Error("RevokeGrant(zero at): err = nil")
	}
	if _, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a"}, zero, store.Event{}); err == nil {
		t.Error("RevokeGrants(zero at): err = nil")
	}
	if _, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g1"), zero, store.Event{}); err == nil {
		t.Error("RevokeGrantOrTombstone(zero at): err = nil")
	}
	if _, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g-tomb"), zero, store.Event{}); err == nil {
		t.Error("RevokeGrantOrTombstone(zero at, no grant): err = nil")
	}
	if mustGrant(t, s, "g1").Revoked() {
		t.Error("grant revoked by a zero-time call")
	}
	if _, _, err := s.GrantChain(ctx, "g-tomb"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Grant(g-tomb) after a zero-time RevokeGrantOrTombstone: err = %v, want ErrNotFound", err)
	}

	if _, err := s.ConsumeAuthCode(ctx, "code-1", zero, "g-zero"); err == nil {
		t.Error("ConsumeAuthCode(zero at): err = nil")
	}
	if c, err := s.ConsumeAuthCode(ctx, "code-1", at(time.Second), "g2"); err != nil || c.GrantID != "g2" {
		t.Errorf("ConsumeAuthCode after the zero-time call = grant %q, %v; want g2, nil", c.GrantID, err)
	}

	if err := s.CreateAuthRequest(ctx, newAuthRequest("ar-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeAuthRequest(ctx, "ar-1", zero); err == nil {
		t.Error("ConsumeAuthRequest(zero at): err = nil")
	}
	if _, err := s.ConsumeAuthRequest(ctx, "ar-1", at(time.Second)); err != nil {
		t.Errorf("ConsumeAuthRequest after the zero-time call: %v", err)
	}
}

// A sweep after a quiet week may find thousands of expired records. A
// backend may delete them in batches (each its own short transaction, so
// a refresh never waits long for the writer or a row), but the sweep
// finishes: everything expired goes, nothing live does, and the count is
// exact. 2,300 is more than two batches of the backends' 1,000.
func testDeleteExpiredMany(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 2300
	now := at(0)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	wantGone := 0
	for i := range n {
		id := fmt.Sprintf("g%05d", i)
		g, rt := newGrant(id, "client-a", "alice")
		g.ExpiresAt, rt.ExpiresAt = future, future
		if i%5 != 0 {
			g.ExpiresAt, rt.ExpiresAt = past, past
			wantGone += 2 // the grant and its token
		}
		mustCreateGrant(t, s, g, rt)
		exp := future
		if i%3 != 0 {
			exp = past
			wantGone++
		}
		if err := s.UseJTI(ctx, "client-a", "jti-"+id, exp, now.Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.DeleteExpired(ctx, now)
	if err != nil || got != wantGone {
		t.Fatalf("DeleteExpired = %d, %v; want %d, nil", got, err, wantGone)
	}
	for i := range n {
		id := fmt.Sprintf("g%05d", i)
		_, _, err := s.GrantChain(ctx, id)
		if i%5 == 0 {
			if err != nil {
				t.Fatalf("live grant %s: %v", id, err)
			}
		} else {
			wantErr(t, "GrantChain(expired "+id+")", err, store.ErrNotFound)
		}
		// A jti still held is refused; a swept one may be used again.
		err = s.UseJTI(ctx, "client-a", "jti-"+id, future, now)
		if i%3 == 0 {
			wantErr(t, "UseJTI(held jti-"+id+")", err, store.ErrConflict)
		} else if err != nil {
			t.Fatalf("UseJTI(swept jti-%s): %v", id, err)
		}
	}
	if again, err := s.DeleteExpired(ctx, now); err != nil || again != 0 {
		t.Errorf("DeleteExpired again = %d, %v; want 0, nil", again, err)
	}
}
