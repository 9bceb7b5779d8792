package throttle

import (
	"sync"
	"time"
)

// RatePolicy bounds events per key: at most Limit at once, refilled at
// Limit per Window (a token bucket). Within any span of one Window a key
// gets at most 2·Limit events, and, over a long run, Limit per Window.
type RatePolicy struct {
	Limit   int
	Window  time.Duration
	MaxKeys int // keys remembered; the least recently used is forgotten first
}

// Rate is a token bucket per key.
type Rate struct {
	p    RatePolicy
	mu   sync.Mutex
	keys *table[bucket]
}

type bucket struct {
	used float64   // tokens taken and not yet refilled
	at   time.Time // when used was last brought up to date
}

// NewRate returns a Rate with policy p.
func NewRate(p RatePolicy) *Rate {
	if p.Limit < 1 {
		p.Limit = 1
	}
	if p.Window <= 0 {
		p.Window = time.Second
	}
	return &Rate{p: p, keys: newTable[bucket](p.MaxKeys)}
}

// Allow takes one event for k at now. When k has none left it takes
// nothing and returns how long until one is available (> 0).
func (r *Rate) Allow(k string, now time.Time) time.Duration { return r.AllowN(k, 1, now) }

// AllowN takes n tokens for k at now (an event that weighs n, such as n
// KiB stored), or, when k has fewer left, takes nothing and returns how long
// until n are available (> 0). n is at least 1 and at most Limit: an event
// heavier than the whole bucket costs the whole bucket.
func (r *Rate) AllowN(k string, n int, now time.Time) time.Duration {
	need := float64(min(max(n, 1), r.p.Limit))
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.keys.put(keyOf(k))
	perToken := r.p.Window / time.Duration(r.p.Limit)
	if !b.at.IsZero() && now.After(b.at) {
		b.used -= float64(now.Sub(b.at)) / float64(perToken)
	}
	b.used = max(b.used, 0)
	b.at = now
	if b.used+need > float64(r.p.Limit) {
		return max(time.Duration((b.used+need-float64(r.p.Limit))*float64(perToken)), time.Nanosecond)
	}
	b.used += need
	return 0
}

// Len is the number of keys remembered.
func (r *Rate) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys.len()
}
