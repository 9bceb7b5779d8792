package throttle

import (
	"fmt"
	"testing"
	"time"
)

func TestRateLimitsAndRefills(t *testing.T) {
	r := NewRate(RatePolicy{Limit: 3, Window: 3 * time.Second, MaxKeys: 10})
	for i := range 3 {
		if w := r.Allow("client", t0); w != 0 {
			t.Fatalf("event %d refused for %v", i+1, w)
		}
	}
	if w := r.Allow("client", t0); w != time.Second {
		t.Fatalf("4th event: wait %v, want 1s (one event per Window/Limit)", w)
	}
	// A refused event takes nothing: still exactly 1s to wait.
	if w := r.Allow("client", t0); w != time.Second {
		t.Fatalf("5th event: wait %v, want 1s", w)
	}
	if w := r.Allow("other", t0); w != 0 {
		t.Fatalf("another key refused for %v", w)
	}
	if w := r.Allow("client", t0.Add(time.Second)); w != 0 {
		t.Fatalf("after 1s one event is back, but refused for %v", w)
	}
	if w := r.Allow("client", t0.Add(time.Second)); w <= 0 {
		t.Fatal("only one event came back after 1s, but two were allowed")
	}
	// A quiet key fills up to Limit, not beyond.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if w := r.Allow("client", later); w != 0 {
			t.Fatalf("after an hour, event %d refused", i+1)
		}
	}
	if w := r.Allow("client", later); w <= 0 {
		t.Fatal("a quiet key saved up more than Limit events")
	}
}

func TestRateBoundsEventsPerWindow(t *testing.T) {
	// Whatever the pace, one key never gets more than 2·Limit events in a
	// Window: a bound on the rows a flood can leave behind.
	p := RatePolicy{Limit: 10, Window: time.Minute, MaxKeys: 10}
	r := NewRate(p)
	allowed := 0
	for now := t0; now.Before(t0.Add(p.Window)); now = now.Add(100 * time.Millisecond) {
		if r.Allow("ip", now) == 0 {
			allowed++
		}
	}
	if allowed > 2*p.Limit {
		t.Fatalf("%d events in one window, want at most %d", allowed, 2*p.Limit)
	}
}

func TestRateEvictsLeastRecentlyUsedKey(t *testing.T) {
	r := NewRate(RatePolicy{Limit: 1, Window: time.Hour, MaxKeys: 2})
	r.Allow("a", t0)
	r.Allow("b", t0)
	r.Allow("c", t0) // evicts a
	if r.Len() != 2 {
		t.Fatalf("%d keys remembered, want 2", r.Len())
	}
	if w := r.Allow("a", t0); w != 0 {
		t.Fatalf("evicted key a refused for %v", w)
	}
	if w := r.Allow("c", t0); w <= 0 {
		t.Fatal("key c was evicted instead of the least recently used")
	}
	for i := range 1000 {
		r.Allow(fmt.Sprint(i), t0)
	}
	if r.Len() != 2 {
		t.Fatalf("%d keys remembered, want 2", r.Len())
	}
}

func TestAddressKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := AddressKey(c.in); got != c.want {
			t.Errorf("AddressKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if AddressKey("2001:db8:1:2::1") == AddressKey("2001:db8:1:3::1") {
		t.Error("two /64 prefixes share a key")
	}
}

// TestRateAllowNWeighs: an event of weight n takes n tokens, a refusal takes
// none, and an event heavier than the bucket costs the whole bucket rather
// than never passing.
func TestRateAllowNWeighs(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	r := NewRate(RatePolicy{Limit: 10, Window: 10 * time.Second, MaxKeys: 100})
	if w := r.AllowN("k", 4, t0); w != 0 {
		t.Fatalf("4 of 10: refused for %v", w)
	}
	if w := r.AllowN("k", 6, t0); w != 0 {
		t.Fatalf("6 more of 10: refused for %v", w)
	}
	// Empty: one token comes back per second, so 3 need 3 s.
	if w := r.AllowN("k", 3, t0); w != 3*time.Second {
		t.Fatalf("3 from an empty bucket: wait %v, want 3s", w)
	}
	// The refusal took nothing: 2 s later two tokens are there.
	if w := r.AllowN("k", 2, t0.Add(2*time.Second)); w != 0 {
		t.Fatalf("2 after 2 s: refused for %v", w)
	}
	// Heavier than the bucket: passes once the bucket is full, and empties it.
	if w := r.AllowN("heavy", 50, t0); w != 0 {
		t.Fatalf("a 50-token event into a full 10-token bucket: refused for %v", w)
	}
	if w := r.AllowN("heavy", 1, t0); w == 0 {
		t.Fatal("the heavy event left tokens behind")
	}
	// Weight 0 or less counts as 1.
	r2 := NewRate(RatePolicy{Limit: 1, Window: time.Minute, MaxKeys: 100})
	if r2.AllowN("z", 0, t0) != 0 || r2.AllowN("z", 0, t0) == 0 {
		t.Fatal("a weightless event must still take one token")
	}
}
