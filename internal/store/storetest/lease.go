package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A lease (TakeLease) lets one node at a time do the janitor's work. It is
// free until taken, held until its end, then free again; its holder renews
// it; another name is another lease. The end is inclusive: a lease that
// ends at now is still held, one that ended before now is free.
func testTakeLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	const ttl = 3 * time.Minute
	take := func(what, name, holder string, now time.Time, want bool) {
		t.Helper()
		got, err := s.TakeLease(ctx, name, holder, now, ttl)
		if err != nil || got != want {
			t.Fatalf("%s: TakeLease(%s, %s) = %v, %v; want %v, nil", what, name, holder, got, err, want)
		}
	}
	take("a free lease", "janitor", "node-a", at(0), true)
	take("held by another", "janitor", "node-b", at(time.Minute), false)
	take("another name is another lease", "other", "node-b", at(time.Minute), true)
	take("the holder renews", "janitor", "node-a", at(2*time.Minute), true)
	end := at(2*time.Minute + ttl) // the renewal moved the end
	take("held at its very end", "janitor", "node-b", end, false)
	take("free once it has ended", "janitor", "node-b", end.Add(time.Millisecond), true)
	take("the old holder lost it", "janitor", "node-a", end.Add(time.Second), false)

	if _, err := s.TakeLease(ctx, "janitor", "node-a", time.Time{}, ttl); err == nil {
		t.Error("TakeLease with a zero now: no error")
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
