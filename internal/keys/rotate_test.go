package keys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// testPolicy: a 5m JWKS cache, 30s reloads, 1m skew, 10m tokens. A new key
// signs 6m30s after its creation; a retired key goes 12m after it retires.
var testPolicy = Policy{JWKSMaxAge: 5 * time.Minute, ReloadEvery: 30 * time.Second, Skew: time.Minute, TokenLifetime: 10 * time.Minute}

func openAt(t *testing.T, st *memStore, clk *clock, p Policy) *Set {
	t.Helper()
	set, err := Open(context.Background(), st, secret, Options{Now: clk.Now, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func published(set *Set, kid string) bool {
	return strings.Contains(string(set.JWKSJSON()), `"kid":"`+kid+`"`)
}

func stateOf(t *testing.T, set *Set, kid string) State {
	t.Helper()
	for _, in := range set.List() {
		if in.KID == kid {
			return in.State
		}
	}
	t.Fatalf("List lacks %q", kid)
	return ""
}

// TestRotationLifecycle walks one ES256 rotation through every state with
// an injected clock: next (published, not signing) for the whole publish
// delay, active from its activation time, the old key retired (published)
// until the retention has passed, then gone. RS256 is untouched.
func TestRotationLifecycle(t *testing.T) {
	clk := testclock.At(t0.Add(time.Hour))
	set := openAt(t, seeded(t), clk, testPolicy)
	oldES, oldRS := signingKID(t, set, "ES256"), signingKID(t, set, "RS256")

	next, err := set.Rotate(context.Background(), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	delay := testPolicy.JWKSMaxAge + testPolicy.ReloadEvery + testPolicy.Skew
	if want := clk.Now().Add(delay); !next.ActivatesAt.Equal(want) {
		t.Fatalf("next key activates at %v, want %v (created + cache lifetime + reload + skew)", next.ActivatesAt, want)
	}
	if !published(set, next.KID) || stateOf(t, set, next.KID) != StateNext {
		t.Fatal("a next key must be published from its creation")
	}
	if kid := signingKID(t, set, "ES256"); kid != oldES {
		t.Fatalf("signs with %q at once; the next key must wait", kid)
	}

	clk.Add(delay - time.Nanosecond) // the last instant before activation
	if kid := signingKID(t, set, "ES256"); kid != oldES {
		t.Fatalf("signs with %q before the activation time", kid)
	}
	clk.Add(time.Nanosecond)
	if kid := signingKID(t, set, "ES256"); kid != next.KID {
		t.Fatalf("signs with %q at the activation time, want %q", kid, next.KID)
	}
	if stateOf(t, set, oldES) != StateRetired || !published(set, oldES) {
		t.Fatal("the old key must be retired and still published")
	}
	if _, ok := set.PublicKey(oldES); !ok {
		t.Fatal("a retired key must still verify")
	}
	if kid := signingKID(t, set, "RS256"); kid != oldRS || stateOf(t, set, oldRS) != StateActive {
		t.Fatalf("rotating ES256 changed RS256: %q", kid)
	}

	retention := testPolicy.TokenLifetime + 2*testPolicy.Skew
	clk.Add(retention - time.Nanosecond)
	if !published(set, oldES) {
		t.Fatal("the retired key left the JWKS before its last token expired")
	}
	clk.Add(time.Nanosecond)
	if published(set, oldES) || stateOf(t, set, oldES) != StateGone {
		t.Fatal("the retired key is still published after the retention")
	}
	if _, ok := set.PublicKey(oldES); ok {
		t.Fatal("a gone key still verifies")
	}
	if !published(set, next.KID) || !published(set, oldRS) {
		t.Fatal("the active keys must stay published")
	}
}

// TestOtherNodeFollowsActivationTime: the activation time is the stored
// one, not each node's own delay. A node configured with a much shorter
// cache lifetime learns of the key by a reload and still does not sign
// with it a moment early.
func TestOtherNodeFollowsActivationTime(t *testing.T) {
	st := seeded(t)
	clk := testclock.At(t0.Add(time.Hour))
	a := openAt(t, st, clk, testPolicy)
	b := openAt(t, st, clk, Policy{JWKSMaxAge: time.Second, ReloadEvery: time.Second, Skew: time.Second})
	oldES := signingKID(t, b, "ES256")
	next, err := a.Rotate(context.Background(), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(testPolicy.ReloadEvery)
	if err := b.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !published(b, next.KID) {
		t.Fatal("node b does not publish the key after its reload")
	}
	clk.Set(next.ActivatesAt.Add(-time.Nanosecond))
	if kid := signingKID(t, b, "ES256"); kid != oldES {
		t.Fatalf("node b signs with %q before the stored activation time", kid)
	}
	clk.Set(next.ActivatesAt)
	if kid := signingKID(t, b, "ES256"); kid != next.KID {
		t.Fatalf("node b signs with %q at the activation time, want %q", kid, next.KID)
	}
}

// TestClockBackNeverSignsEarly: a node whose clock steps back before the
// active key's activation time signs with the key before it again.
func TestClockBackNeverSignsEarly(t *testing.T) {
	clk := testclock.At(t0.Add(time.Hour))
	set := openAt(t, seeded(t), clk, testPolicy)
	oldES := signingKID(t, set, "ES256")
	next, err := set.Rotate(context.Background(), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(next.ActivatesAt)
	if signingKID(t, set, "ES256") != next.KID {
		t.Fatal("not signing with the new key at its activation")
	}
	clk.Set(next.ActivatesAt.Add(-time.Second))
	if kid := signingKID(t, set, "ES256"); kid != oldES {
		t.Fatalf("after the clock stepped back, signs with %q before its activation time", kid)
	}
}

func TestRotateRefusesPendingAndUnknown(t *testing.T) {
	clk := testclock.At(t0.Add(time.Hour))
	set := openAt(t, seeded(t), clk, testPolicy)
	first, err := set.Rotate(context.Background(), "ES256")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Rotate(context.Background(), "ES256"); !errors.Is(err, ErrPending) || !strings.Contains(err.Error(), first.KID) {
		t.Fatalf("second rotation: %v, want ErrPending naming %q", err, first.KID)
	}
	if _, err := set.Rotate(context.Background(), "HS256"); err == nil {
		t.Fatal("rotated an algorithm Tollgate does not sign with")
	}
	clk.Set(first.ActivatesAt)
	if _, err := set.Rotate(context.Background(), "ES256"); err != nil {
		t.Fatalf("rotation once the next key is active: %v", err)
	}
}

// TestRotateDue: the schedule rotates each algorithm once its newest key
// has been active for the interval, and not again while a next key waits.
func TestRotateDue(t *testing.T) {
	clk := testclock.At(t0)
	set := openAt(t, seeded(t), clk, testPolicy)
	every := 24 * time.Hour
	clk.Add(every - time.Nanosecond)
	if added, err := set.RotateDue(context.Background(), every); err != nil || len(added) != 0 {
		t.Fatalf("before the interval: added %v, %v", added, err)
	}
	clk.Add(time.Nanosecond)
	added, err := set.RotateDue(context.Background(), every)
	if err != nil || len(added) != len(Algorithms) {
		t.Fatalf("at the interval: added %v, %v; want one key per algorithm", added, err)
	}
	if again, err := set.RotateDue(context.Background(), every); err != nil || len(again) != 0 {
		t.Fatalf("while next keys wait: added %v, %v", again, err)
	}
	clk.Set(added[0].ActivatesAt.Add(every - time.Nanosecond))
	if again, err := set.RotateDue(context.Background(), every); err != nil || len(again) != 0 {
		t.Fatalf("before the new keys' interval: added %v, %v", again, err)
	}
	if off, err := set.RotateDue(context.Background(), 0); err != nil || off != nil {
		t.Fatalf("rotate_every 0 must be off: %v, %v", off, err)
	}
}

func TestCacheControl(t *testing.T) {
	set := openAt(t, seeded(t), testclock.At(t0), testPolicy)
	if got := set.CacheControl(); got != "public, max-age=300" {
		t.Fatalf("Cache-Control %q", got)
	}
	if got := testPolicy.withDefaults().PublishDelay(); got < testPolicy.JWKSMaxAge+testPolicy.ReloadEvery {
		t.Fatalf("publish delay %v is shorter than a cached JWKS can live", got)
	}
}

// TestDeleteGone: a gone key's row is deleted, and only a gone key's: not
// while it is retired (still published, still verifying), not the active
// or the next key, not another algorithm's.
func TestDeleteGone(t *testing.T) {
	clk := testclock.At(t0.Add(time.Hour))
	st := seeded(t)
	set := openAt(t, st, clk, testPolicy)
	ctx := context.Background()
	oldES := signingKID(t, set, "ES256")
	next, err := set.Rotate(ctx, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	other := openAt(t, st, clk, testPolicy) // a second node on the same store
	clk.Add(testPolicy.PublishDelay())      // next signs, old is retired
	retention := testPolicy.TokenLifetime + 2*testPolicy.Skew
	clk.Add(retention - time.Nanosecond)
	if gone, err := set.DeleteGone(ctx); err != nil || len(gone) != 0 {
		t.Fatalf("DeleteGone while the old key is retired = %v, %v; want nothing", gone, err)
	}
	rows := len(st.rows)
	clk.Add(time.Nanosecond)
	gone, err := set.DeleteGone(ctx)
	if err != nil || len(gone) != 1 || gone[0].KID != oldES {
		t.Fatalf("DeleteGone after the retention = %+v, %v; want the old ES256 key", gone, err)
	}
	if len(st.rows) != rows-1 {
		t.Fatalf("store rows %d, want %d", len(st.rows), rows-1)
	}
	for _, in := range set.List() {
		if in.KID == oldES {
			t.Fatal("the deleted key is still listed")
		}
	}
	if kid := signingKID(t, set, "ES256"); kid != next.KID {
		t.Fatalf("ES256 signs with %q after the delete, want %q", kid, next.KID)
	}
	if _, err := set.JWSSigner("RS256", ""); err != nil {
		t.Fatalf("RS256 lost its key: %v", err)
	}
	if gone, err := set.DeleteGone(ctx); err != nil || len(gone) != 0 {
		t.Fatalf("a second DeleteGone = %v, %v; want nothing", gone, err)
	}
	// The other node lets the deleted key go at its next reload: a key
	// missing from the store is refused only while it is still in use.
	if err := other.Reload(ctx); err != nil {
		t.Fatalf("the other node's reload after the delete: %v", err)
	}
	for _, in := range other.List() {
		if in.KID == oldES {
			t.Fatal("the other node still lists the deleted key")
		}
	}
}

// TestRotateAll: every algorithm at once, all or none. With a next key
// waiting for one algorithm nothing is added for any; otherwise one next
// key per algorithm, from one store read before and one after.
func TestRotateAll(t *testing.T) {
	st := seeded(t)
	set := openAt(t, st, testclock.At(t0.Add(time.Hour)), testPolicy)
	ctx := context.Background()
	if _, err := set.RotateAll(ctx, []string{"ES256", "HS256"}); err == nil {
		t.Fatal("RotateAll with an algorithm Tollgate does not sign with succeeded")
	}
	reads := st.readCount()
	added, err := set.RotateAll(ctx, Algorithms)
	if err != nil || len(added) != len(Algorithms) {
		t.Fatalf("RotateAll = %+v, %v; want one next key per algorithm", added, err)
	}
	if n := st.readCount() - reads; n != 2 {
		t.Errorf("RotateAll read the store %d times, want 2 (before and after)", n)
	}
	for i, in := range added {
		if in.Algorithm != Algorithms[i] || stateOf(t, set, in.KID) != StateNext {
			t.Errorf("added[%d] = %+v, want a next %s key", i, in, Algorithms[i])
		}
	}

	// Any one algorithm waiting refuses the lot: no other is rotated.
	for _, waiting := range Algorithms {
		st = seeded(t)
		set = openAt(t, st, testclock.At(t0.Add(time.Hour)), testPolicy)
		first, err := set.Rotate(ctx, waiting)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := st.SigningKeys(ctx)
		if _, err := set.RotateAll(ctx, Algorithms); !errors.Is(err, ErrPending) || !strings.Contains(err.Error(), first.KID) {
			t.Fatalf("RotateAll while %s waits = %v, want ErrPending naming %q", waiting, err, first.KID)
		}
		if after, _ := st.SigningKeys(ctx); len(after) != len(before) {
			t.Errorf("a RotateAll refused while %s waits stored %d keys", waiting, len(after)-len(before))
		}
	}
}
