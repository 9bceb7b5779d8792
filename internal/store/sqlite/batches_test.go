package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
)

// Every call the rotator takes is counted in its kind, as one batch when
// alone (the metrics read these counters).
func TestBatchCounts(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	g := store.Grant{ID: "g1", ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	rt := store.RefreshToken{Hash: "rt0", GrantID: "g1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateGrant(ctx, g, rt, store.Event{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.RefreshToken(ctx, "g1", "rt0"); err != nil {
		t.Fatal(err)
	}
	next := store.RefreshToken{Hash: "rt1", GrantID: "g1", Generation: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.RotateRefreshToken(ctx, "rt0", now, next); err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{"a", "b"} {
		if err := db.UseJTI(ctx, "c", jti, now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
	}
	for kind, want := range [store.NumBatchKinds]int64{store.BatchLookup: 1, store.BatchRotate: 1, store.BatchUseJTI: 2} {
		if calls, batches := db.Batches().Get(kind); calls != want || batches != want {
			t.Errorf("%s: %d calls in %d batches, want %d in %d", store.BatchKinds[kind], calls, batches, want, want)
		}
	}
}
