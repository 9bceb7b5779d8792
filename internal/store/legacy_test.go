package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// hashes is a sorted table of legacy hashes, each with whether its token
// is gone, and a store.LegacyStep over it that records where each step
// started.
type hashes struct {
	rows   []string
	gone   map[string]bool
	starts []string
	fail   bool
}

func (h *hashes) step(_ context.Context, after string) (int, string, int, error) {
	h.starts = append(h.starts, after)
	if h.fail {
		return 0, "", 0, errors.New("database away")
	}
	i, _ := slices.BinarySearch(h.rows, after)
	if i < len(h.rows) && h.rows[i] == after {
		i++
	}
	batch := slices.Clone(h.rows[i:min(i+store.LegacyBatch, len(h.rows))])
	deleted := 0
	for _, r := range batch {
		if h.gone[r] {
			deleted++
		}
	}
	h.rows = slices.DeleteFunc(h.rows, func(r string) bool { return h.gone[r] && slices.Contains(batch, r) })
	last := ""
	if len(batch) > 0 {
		last = batch[len(batch)-1]
	}
	return len(batch), last, deleted, nil
}

// TestLegacyPrune: each Run takes at most LegacyBatches steps, each from
// the last hash the one before read; the walk starts over after a short
// step (the end of the table); every hash whose token is gone goes,
// however many runs that takes; and a failed step leaves the walk where it
// was.
func TestLegacyPrune(t *testing.T) {
	ctx := context.Background()
	n := store.LegacyBatch*(store.LegacyBatches+2) + 17 // more than one run
	h := &hashes{gone: map[string]bool{}}
	for i := range n {
		r := fmt.Sprintf("h%08d", i)
		h.rows = append(h.rows, r)
		if i%3 == 0 {
			h.gone[r] = true
		}
	}
	var p store.LegacyPrune
	total := 0
	for run := 0; run < 3; run++ {
		h.starts = nil
		got, err := p.Run(ctx, h.step)
		if err != nil {
			t.Fatal(err)
		}
		total += got
		if len(h.starts) > store.LegacyBatches {
			t.Errorf("run %d took %d steps, want at most %d", run, len(h.starts), store.LegacyBatches)
		}
		switch run {
		case 0:
			if h.starts[0] != "" || h.starts[1] != fmt.Sprintf("h%08d", store.LegacyBatch-1) {
				t.Errorf("run 0 started its steps at %q, want \"\", then the first batch's last hash", h.starts[:2])
			}
		case 1:
			if h.starts[0] == "" {
				t.Error("run 1 started over instead of going on")
			}
		case 2: // the walk reached the end in run 1 and starts over
			if h.starts[0] != "" {
				t.Errorf("run 2 started at %q, want \"\" after the end of the table", h.starts[0])
			}
		}
	}
	if want := (n + 2) / 3; total != want || len(h.rows) != n-want {
		t.Errorf("deleted %d, %d rows left; want %d deleted (every gone token's hash)", total, len(h.rows), want)
	}
	h.starts, h.fail = nil, true
	if _, err := p.Run(ctx, h.step); err == nil || len(h.starts) != 1 {
		t.Errorf("a failing step: err %v after %d steps, want the error after one", err, len(h.starts))
	}
	h.starts, h.fail = nil, false
	if _, err := p.Run(ctx, h.step); err != nil || h.starts[0] != "" {
		t.Errorf("after a failed step the walk went on from %q, %v; want it where it was (\"\")", h.starts[0], err)
	}
}

// TestLegacyPruneOneRunAtATime: a Run that starts while another is in a
// step waits for that Run to end (a store is safe for concurrent use, so
// DeleteExpired may run in two goroutines at once), so no two steps start
// from the same hash and the walk's position is never written by two at
// once. Red without the mutex (and under -race, a data race on it).
func TestLegacyPruneOneRunAtATime(t *testing.T) {
	var p store.LegacyPrune
	inStep, release := make(chan struct{}), make(chan struct{})
	first := func(_ context.Context, after string) (int, string, int, error) {
		close(inStep)
		<-release
		return 0, "", 0, nil // the end of the table
	}
	secondCalled := make(chan struct{}, store.LegacyBatches)
	second := func(_ context.Context, after string) (int, string, int, error) {
		secondCalled <- struct{}{}
		return 0, "", 0, nil
	}
	done := make(chan error, 2)
	go func() { _, err := p.Run(context.Background(), first); done <- err }()
	<-inStep
	go func() { _, err := p.Run(context.Background(), second); done <- err }()
	// Give the second Run time to reach its step if nothing held it back.
	select {
	case <-secondCalled:
		t.Fatal("a second Run took a step while the first was in one")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-secondCalled:
	default:
		t.Fatal("the second Run took no step once the first had ended")
	}
}
