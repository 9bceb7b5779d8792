package throttle

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrBusy is returned by Gate.Enter when every slot is taken and the queue
// is full, or a queued caller waited its longest: the caller sheds the
// request (HTTP 429) instead of holding it.
var ErrBusy = errors.New("throttle: too many operations in progress")

// Gate bounds how many operations run at once. Up to Queue callers more may
// wait, each at most Wait, for a slot; any caller beyond is refused at once.
// Memory is thus bounded by Slots running operations plus Queue small
// waiting requests, whatever the load.
type Gate struct {
	slots chan struct{}
	queue int
	wait  time.Duration
	// after is the clock of the wait (time.After); tests inject their own.
	after func(time.Duration) <-chan time.Time

	mu      sync.Mutex
	waiting int
}

// NewGate returns a gate of slots concurrent operations (at least 1) and a
// queue of queue waiters (0: none), each waiting at most wait.
func NewGate(slots, queue int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(slots, 1)), queue: max(queue, 0), wait: wait, after: time.After}
}

// Enter takes a slot, waiting in the queue if there is room. It returns the
// function that gives the slot back (call it exactly once), or ErrBusy, or
// ctx's error when the caller went away.
func (g *Gate) Enter(ctx context.Context) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	g.mu.Lock()
	if g.waiting >= g.queue {
		g.mu.Unlock()
		return nil, ErrBusy
	}
	g.waiting++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}()
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-g.after(g.wait):
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Wait is the longest a queued caller waits: a fair Retry-After.
func (g *Gate) Wait() time.Duration { return g.wait }
