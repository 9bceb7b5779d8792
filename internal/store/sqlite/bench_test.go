package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
)

// BenchmarkRotate measures the refresh hot path as the token endpoint drives
// it: look the presented token up (read pool), then rotate it. Each parallel
// worker walks its own grant's chain, so every rotation succeeds; one op is
// one find + one rotation, and rotations/s is ops per wall-clock second.
// Workers are 8 per CPU, as a loaded token endpoint has many requests in
// flight; rotations are group-committed (rotate.go), so with fewer in flight
// each commit carries fewer rotations.
func BenchmarkRotate(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()

	var seq atomic.Uint64
	// hash returns a distinct value shaped like a real token hash
	// (base64url SHA-256, 43 characters), so index keys have realistic size.
	hash := func() string {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], seq.Add(1))
		sum := sha256.Sum256(n[:])
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}
	now := time.Now()

	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		id := "grant-" + strconv.FormatUint(seq.Add(1), 10)
		cur := hash()
		g := store.Grant{ID: id, ClientID: "bench", Subject: "user", Scopes: []string{"openid", "offline_access"},
			AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		if err := db.CreateGrant(ctx, g, store.RefreshToken{Hash: cur, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, store.Event{}); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			rt, _, err := db.RefreshToken(ctx, id, cur)
			if err != nil {
				b.Error(err)
				return
			}
			// Times move on as in a server (the idle-expiry index grows at
			// its right edge, not at random).
			now := time.Now()
			next := store.RefreshToken{Hash: hash(), GrantID: rt.GrantID, Generation: rt.Generation + 1,
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := db.RotateRefreshToken(ctx, cur, now, next); err != nil {
				b.Error(err)
				return
			}
			cur = next.Hash
		}
	})
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rotations/s")
}
