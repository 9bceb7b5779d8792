package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
)

// lookupGrants is how many grants BenchmarkRefreshToken looks up at random:
// enough that the hash index has interior pages, as in any real store.
const lookupGrants = 20_000

// benchHash returns the n-th token hash, shaped like a real one
// (base64url SHA-256, 43 characters).
func benchHash(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	sum := sha256.Sum256(b[:])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// BenchmarkRefreshToken measures the refresh lookup (RefreshToken on the
// read pool), with 8 lookups in flight per CPU as on a loaded token
// endpoint. "quiet": nothing writes, so each reader keeps its page cache.
// "writing": a rotation commits every writeEvery in the background, as
// the rotator does under load, so each read transaction that starts after
// a commit begins with an empty page cache (the cost the refresh path
// pays). One op is one lookup of a random live token.
func BenchmarkRefreshToken(b *testing.B) {
	for _, tc := range []struct {
		name       string
		writeEvery time.Duration
	}{{"quiet", 0}, {"writing", 500 * time.Microsecond}} {
		b.Run(tc.name, func(b *testing.B) { benchLookup(b, tc.writeEvery) })
	}
}

func benchLookup(b *testing.B, writeEvery time.Duration) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	grant := func(i uint64) (store.Grant, store.RefreshToken) {
		id := "grant-" + strconv.FormatUint(i, 10)
		g := store.Grant{ID: id, ClientID: "bench", Subject: "user-" + strconv.FormatUint(i, 10),
			Scopes: []string{"openid", "offline_access"}, AuthTime: now, AMR: []string{"pwd"},
			SessionID: "sid-" + id, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		return g, store.RefreshToken{Hash: benchHash(i), GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	if err := db.Prefill(ctx, lookupGrants, func(i int) (store.Grant, store.RefreshToken, error) {
		g, t := grant(uint64(i))
		return g, t, nil
	}, nil); err != nil {
		b.Fatal(err)
	}

	var commits atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if writeEvery > 0 {
		// The writer rotates a chain of its own, off the looked-up set.
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := uint64(1 << 40)
			g, cur := grant(n)
			if err := db.CreateGrant(ctx, g, cur, store.Event{}); err != nil {
				b.Error(err)
				return
			}
			tick := time.NewTicker(writeEvery)
			defer tick.Stop()
			for gen := 1; ; gen++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				n++
				at := time.Now()
				next := store.RefreshToken{Hash: benchHash(n), GrantID: g.ID, Generation: gen, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
				if err := db.RotateRefreshToken(ctx, cur.Hash, at, next); err != nil {
					b.Error(err)
					return
				}
				cur = next
				commits.Add(1)
			}
		}()
	}

	var seq atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		// A cheap per-worker walk over the grants in a scattered order.
		i := seq.Add(1) * 7919
		for pb.Next() {
			i = (i + 104729) % lookupGrants
			if _, _, err := db.RefreshToken(ctx, "grant-"+strconv.FormatUint(i, 10), benchHash(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
	if writeEvery > 0 {
		b.ReportMetric(float64(b.N)/float64(max(1, commits.Load())), "lookups/commit")
	}
}
