package throttle

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// testGate is a gate whose queue wait ends when the test says so.
func testGate(slots, queue int) (*Gate, chan time.Time) {
	g := NewGate(slots, queue, 2*time.Second)
	timeout := make(chan time.Time)
	g.after = func(time.Duration) <-chan time.Time { return timeout }
	return g, timeout
}

// waiters reports how many callers are queued.
func (g *Gate) waiters() int { g.mu.Lock(); defer g.mu.Unlock(); return g.waiting }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition never held")
}

func TestGateShedsBeyondSlotsAndQueue(t *testing.T) {
	g, _ := testGate(2, 1)
	ctx := context.Background()
	r1, err1 := g.Enter(ctx)
	r2, err2 := g.Enter(ctx)
	if err1 != nil || err2 != nil {
		t.Fatalf("free slots refused: %v %v", err1, err2)
	}
	// The third caller queues.
	got := make(chan error, 1)
	var r3 func()
	go func() {
		var err error
		r3, err = g.Enter(ctx)
		got <- err
	}()
	waitFor(t, func() bool { return g.waiters() == 1 })
	// The fourth is shed at once: no slot, no room in the queue.
	shed := make(chan error, 1)
	go func() { _, err := g.Enter(ctx); shed <- err }()
	select {
	case err := <-shed:
		if !errors.Is(err, ErrBusy) {
			t.Fatalf("4th caller: %v, want ErrBusy", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("4th caller was held instead of shed")
	}
	// A slot freed goes to the queued caller.
	r1()
	if err := <-got; err != nil {
		t.Fatalf("queued caller: %v", err)
	}
	r2()
	r3()
	// All slots back: two enter again.
	for range 2 {
		r, err := g.Enter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer r()
	}
}

func TestGateQueuedCallerGivesUpAfterWait(t *testing.T) {
	g, timeout := testGate(1, 4)
	release, _ := g.Enter(context.Background())
	defer release()
	got := make(chan error, 1)
	go func() { _, err := g.Enter(context.Background()); got <- err }()
	waitFor(t, func() bool { return g.waiters() == 1 })
	timeout <- time.Time{}
	if err := <-got; !errors.Is(err, ErrBusy) {
		t.Fatalf("after the longest wait: %v, want ErrBusy", err)
	}
	if g.waiters() != 0 {
		t.Fatalf("%d waiters left", g.waiters())
	}
}

func TestGateQueuedCallerLeavesWithItsContext(t *testing.T) {
	g, _ := testGate(1, 4)
	release, _ := g.Enter(context.Background())
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() { _, err := g.Enter(ctx); got <- err }()
	waitFor(t, func() bool { return g.waiters() == 1 })
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
}

func TestGateNeverRunsMoreThanSlots(t *testing.T) {
	g := NewGate(3, 100, time.Minute)
	var mu sync.Mutex
	running, peak := 0, 0
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			release, err := g.Enter(context.Background())
			if err != nil {
				t.Errorf("Enter with room in the queue: %v", err)
				return
			}
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			release()
		})
	}
	wg.Wait()
	if peak == 0 || peak > 3 {
		t.Fatalf("%d operations ran at once, want at most 3", peak)
	}
}
