package throttle

import (
	"math"
	"sync"
	"time"
)

// BackoffPolicy says how failures of one key are throttled.
//
// A key may fail Free times per Window: its failures are forgotten at that
// rate, one every Window/Free, so occasional mistakes (or the typing of a
// whole office behind one address, for a high Free) never add up. A
// failure beyond Free refuses the key for Base, the next for 2·Base, then
// 4·Base and so on up to Max. An attacker's long-run rate is thus about
// Free guesses per Window however hard it pushes, provided Max is at least
// Window/Free (otherwise it is one guess per Max).
type BackoffPolicy struct {
	Free      int           // failures allowed per Window before refusals begin; at least 1
	Window    time.Duration // how long it takes to forget Free failures
	Base, Max time.Duration // the first delay, and the cap
	MaxKeys   int           // keys remembered; the least recently used is forgotten first
}

// Delay is how long a key is refused when it holds n failures: nothing up
// to Free, then Base, 2·Base, 4·Base, … capped at Max.
func (p BackoffPolicy) Delay(n int) time.Duration {
	over := n - p.Free
	if over <= 0 {
		return 0
	}
	d := p.Base
	for i := 1; i < over && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Backoff throttles attempts per key after repeated failures. An attempt
// is admitted by Begin and ended by exactly one of Fail, Release or
// Forget. A key has only as many attempts in flight as it has free
// failures left (at least one), so a burst of concurrent guesses cannot
// slip through between one check and the failure that follows it.
type Backoff struct {
	p    BackoffPolicy
	mu   sync.Mutex
	keys *table[failures]
}

type failures struct {
	level   float64   // failures not yet forgotten
	at      time.Time // when level was last brought up to date
	until   time.Time // refused before this
	pending int       // admitted attempts not yet ended
}

// NewBackoff returns a Backoff with policy p.
func NewBackoff(p BackoffPolicy) *Backoff {
	p.Free = max(p.Free, 1)
	if p.Window <= 0 {
		p.Window = time.Hour
	}
	return &Backoff{p: p, keys: newTable[failures](p.MaxKeys)}
}

// count is the whole number of failures a key holds at now.
func (b *Backoff) count(f *failures, now time.Time) int {
	if now.After(f.at) {
		f.level -= float64(now.Sub(f.at)) * float64(b.p.Free) / float64(b.p.Window)
		f.level = max(f.level, 0)
		f.at = now
	}
	return int(math.Ceil(f.level - 1e-9))
}

// Begin admits an attempt for k at now, or returns how long to wait (> 0)
// when k is refused. An admitted attempt must be ended.
func (b *Backoff) Begin(k string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.keys.put(keyOf(k))
	n := b.count(f, now)
	if now.Before(f.until) {
		return f.until.Sub(now)
	}
	if f.pending > 0 && n+f.pending >= b.p.Free {
		// As many attempts in flight as the key has free failures left,
		// and one once they are used up: a burst of concurrent guesses
		// must not all be checked before the first failure counts.
		// Parallel sign-ins of one account beyond that wait a second.
		return max(b.p.Base, time.Second)
	}
	f.pending++
	return 0
}

// Fail ends an attempt for k as a failure at now and returns how long k is
// now refused (0 while within its free failures).
func (b *Backoff) Fail(k string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.keys.put(keyOf(k))
	f.pending = max(f.pending-1, 0)
	b.count(f, now)
	f.level++
	f.at = now
	if d := b.p.Delay(b.count(f, now)); d > 0 {
		f.until = now.Add(d)
		return d
	}
	return 0
}

// Release ends an attempt for k that neither failed nor proved anything:
// it was not checked, or it succeeded for a key that a success must not
// clear, such as an address many people share.
func (b *Backoff) Release(k string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kk := keyOf(k)
	if f := b.keys.get(kk); f != nil {
		f.pending = max(f.pending-1, 0)
		if f.pending == 0 && f.level == 0 {
			b.keys.remove(kk) // nothing left to remember
		}
	}
}

// Forget ends an attempt for k as a success that clears its failures.
func (b *Backoff) Forget(k string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kk := keyOf(k)
	f := b.keys.get(kk)
	if f == nil {
		return
	}
	f.pending = max(f.pending-1, 0)
	if f.pending == 0 {
		b.keys.remove(kk)
		return
	}
	f.level, f.until = 0, time.Time{}
}

// Len is the number of keys remembered.
func (b *Backoff) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.keys.len()
}
