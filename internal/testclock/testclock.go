// Package testclock is the injected clock the tests move by hand: policy
// takes a func() time.Time (ARCHITECTURE.md: policy in plain Go with an
// injected clock), and a test passes a Clock's Now and moves it with Add
// or Set. It is safe for concurrent use, since the servers under test read
// it from their own goroutines. Only tests import it.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// At returns a Clock showing t.
func At(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d (backwards when d < 0).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
