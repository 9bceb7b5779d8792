package throttle

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func policy() BackoffPolicy {
	return BackoffPolicy{Free: 3, Window: 15 * time.Minute, Base: time.Second, Max: 10 * time.Second, MaxKeys: 100}
}

func TestDelayDoublesUpToMax(t *testing.T) {
	p := policy()
	want := []time.Duration{0, 0, 0, 0, 1, 2, 4, 8, 10, 10, 10}
	for n, w := range want {
		if got := p.Delay(n); got != w*time.Second {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w*time.Second)
		}
	}
	if got := p.Delay(1000); got != p.Max {
		t.Errorf("Delay(1000) = %v, want the cap %v", got, p.Max)
	}
}

// fail runs one admitted, failed attempt and returns the delay imposed.
func fail(t *testing.T, b *Backoff, k string, now time.Time) time.Duration {
	t.Helper()
	if w := b.Begin(k, now); w != 0 {
		t.Fatalf("Begin(%q) at %v refused for %v, want admitted", k, now.Sub(t0), w)
	}
	return b.Fail(k, now)
}

func TestBackoffGrowsAndRefuses(t *testing.T) {
	b := NewBackoff(policy())
	now := t0
	for i := range 3 {
		if d := fail(t, b, "alice", now); d != 0 {
			t.Fatalf("free failure %d imposed %v", i+1, d)
		}
	}
	for _, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		d := fail(t, b, "alice", now)
		if d != want*time.Second {
			t.Fatalf("delay %v, want %v", d, want*time.Second)
		}
		// Refused for exactly that long, counting down.
		if w := b.Begin("alice", now); w != d {
			t.Fatalf("Begin right after: wait %v, want %v", w, d)
		}
		if w := b.Begin("alice", now.Add(d-time.Millisecond)); w != time.Millisecond {
			t.Fatalf("Begin 1ms before the end: wait %v", w)
		}
		now = now.Add(d) // the delay has passed: admitted again
	}
	// Another key is untouched.
	if w := b.Begin("bob", now); w != 0 {
		t.Fatalf("bob refused for %v", w)
	}
}

func TestBackoffForgetsFreeFailuresPerWindow(t *testing.T) {
	p := policy() // 3 failures per 15 minutes: one forgotten every 5 minutes
	b := NewBackoff(p)
	for range 3 {
		fail(t, b, "k", t0)
	}
	// 4 minutes later none is forgotten yet: the next failure is throttled.
	if d := fail(t, b, "k", t0.Add(4*time.Minute)); d != time.Second {
		t.Fatalf("failure at +4m imposed %v, want 1s", d)
	}
	// A whole window later all are forgotten: three free failures again.
	now := t0.Add(4*time.Minute + 2*p.Window)
	for i := range 3 {
		if d := fail(t, b, "k", now); d != 0 {
			t.Fatalf("free failure %d of a new window imposed %v", i+1, d)
		}
	}
	// One failure is forgotten every Window/Free: 5 minutes buys one more.
	now = now.Add(p.Window / 3)
	if d := fail(t, b, "k", now); d != 0 {
		t.Fatalf("failure after one was forgotten imposed %v", d)
	}
	if d := fail(t, b, "k", now); d != time.Second {
		t.Fatalf("next failure imposed %v, want 1s", d)
	}
}

func TestBackoffLongRunRateIsFreePerWindow(t *testing.T) {
	// An attacker who retries the moment each refusal ends gets about Free
	// guesses per Window, not more, when Max is at least Window/Free.
	p := policy()
	p.Max = 10 * time.Minute
	b := NewBackoff(p)
	now, guesses := t0, 0
	limit := 10*p.Free + p.Free + 10
	for now.Before(t0.Add(10 * p.Window)) {
		if w := b.Begin("k", now); w > 0 {
			now = now.Add(w)
			continue
		}
		b.Fail("k", now)
		if guesses++; guesses > limit { // fail, not hang, if nothing refuses
			t.Fatalf("more than %d guesses in 10 windows, want about %d", limit, 10*p.Free)
		}
	}
	t.Logf("%d guesses in 10 windows", guesses)
	// Backoff, not lockout: the attacker (and so the user) keeps about Free per window.
	if guesses < 10*p.Free {
		t.Fatalf("%d guesses in 10 windows, want about %d", guesses, 10*p.Free)
	}
}

func TestBackoffForgetAndRelease(t *testing.T) {
	b := NewBackoff(policy())
	for range 3 {
		fail(t, b, "ip", t0)
		fail(t, b, "user", t0)
	}
	// A success that proves nothing about the key (shared address): the
	// failures stay, so the next failure is throttled.
	b.Begin("ip", t0)
	b.Release("ip")
	if d := fail(t, b, "ip", t0); d != time.Second {
		t.Fatalf("after Release, failure imposed %v, want 1s", d)
	}
	// A success for the username clears it.
	b.Begin("user", t0)
	b.Forget("user")
	if d := fail(t, b, "user", t0); d != 0 {
		t.Fatalf("after Forget, failure imposed %v, want 0", d)
	}
}

func TestBackoffBoundsAttemptsInFlight(t *testing.T) {
	b := NewBackoff(policy()) // 3 free failures
	// A fresh key: three attempts in flight, not a fourth, so a burst of
	// guesses cannot all be checked before the first failure counts.
	for i := range 3 {
		if w := b.Begin("fresh", t0); w != 0 {
			t.Fatalf("attempt %d of a fresh key refused", i+1)
		}
	}
	if w := b.Begin("fresh", t0); w <= 0 {
		t.Fatal("a 4th concurrent attempt of a fresh key was admitted")
	}
	// One failure: two free failures left, so two attempts in flight; a
	// third at once could fail past the free ones unchecked, so it waits.
	fail(t, b, "k", t0)
	for i := range 2 {
		if w := b.Begin("k", t0); w != 0 {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if w := b.Begin("k", t0); w <= 0 {
		t.Fatal("a 3rd concurrent attempt was admitted with 2 free failures left")
	}
	b.Fail("k", t0)
	b.Fail("k", t0)
	// Free failures used up: one attempt at a time.
	if w := b.Begin("k", t0); w != 0 {
		t.Fatalf("the 4th attempt, alone, refused for %v", w)
	}
	if w := b.Begin("k", t0); w <= 0 {
		t.Fatal("a 5th attempt was admitted alongside the 4th")
	}
	if d := b.Fail("k", t0); d != time.Second {
		t.Fatalf("the 4th failure imposed %v, want 1s", d)
	}
}

func TestBackoffEvictsLeastRecentlyUsedKey(t *testing.T) {
	p := policy()
	p.MaxKeys = 3
	b := NewBackoff(p)
	for i := range 3 {
		for range 4 {
			b.Fail(fmt.Sprint("k", i), t0)
		}
	}
	if b.Begin("k0", t0) <= 0 {
		t.Fatal("k0 should be refused")
	}
	// k0 was just used; k1 is now the least recently used and goes first.
	b.Fail("k3", t0)
	if b.Len() != 3 {
		t.Fatalf("%d keys remembered, want at most 3", b.Len())
	}
	if w := b.Begin("k1", t0); w != 0 {
		t.Fatalf("evicted k1 still refused for %v", w)
	}
	if w := b.Begin("k0", t0); w <= 0 {
		t.Fatal("k0 was evicted instead of the least recently used key")
	}
	// A long key costs the same as a short one: keys are hashed.
	long := string(make([]byte, 1<<20))
	b.Fail(long, t0)
	if b.Len() != 3 {
		t.Fatalf("%d keys", b.Len())
	}
}
