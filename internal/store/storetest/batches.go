package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// testBatchCounts, for a store that group-commits (SQLite, PostgreSQL):
// every batched call is counted in its kind, as one batch when alone; the
// metrics read these counters. A store without them is skipped.
func testBatchCounts(t *testing.T, s store.Store) {
	b, ok := s.(store.Batcher)
	if !ok {
		t.Skip("the store batches nothing")
	}
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	mustToken(t, s, rt0.GrantID, rt0.Hash)
	if err := s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken("rt1", "g1", 1)); err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{"a", "b"} {
		if err := s.UseJTI(ctx, "client-a", jti, at(time.Hour), at(0)); err != nil {
			t.Fatal(err)
		}
	}
	names := [store.NumBatchKinds]string{store.BatchLookup: "lookups", store.BatchRotate: "rotations", store.BatchUseJTI: "jti uses"}
	for kind, want := range [store.NumBatchKinds]int64{store.BatchLookup: 1, store.BatchRotate: 1, store.BatchUseJTI: 2} {
		if calls, batches := b.Batches().Get(kind); calls != want || batches != want {
			t.Errorf("%s: %d calls in %d batches, want %d in %d", names[kind], calls, batches, want, want)
		}
	}
}
