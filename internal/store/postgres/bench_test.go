package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// BenchmarkRotate measures the refresh hot path as the token endpoint
// drives it, as sqlite's BenchmarkRotate does: look the presented token up,
// then rotate it (one statement, one round trip each). Each parallel worker
// walks its own grant's chain, so every rotation succeeds; one op is one
// find + one rotation. Workers are 8 per CPU, each with a connection of the
// pool (MaxConns), as a loaded token endpoint has many requests in flight.
func BenchmarkRotate(b *testing.B) { benchRotate(b, true, false) }

// BenchmarkRotateOnly is the rotation statement alone.
func BenchmarkRotateOnly(b *testing.B) { benchRotate(b, false, false) }

// BenchmarkRotateDPoP is what a DPoP-bound refresh asks of the store: the
// proof's jti recorded (UseJTI), then the lookup and the rotation.
func BenchmarkRotateDPoP(b *testing.B) { benchRotate(b, true, true) }

func benchRotate(b *testing.B, find, jti bool) {
	ctx := context.Background()
	const perCPU = 8
	db := open(b, pgtest.Schema(b, "tg", nil), postgres.Options{MaxConns: 64})
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
	// Each worker's grant, and a connection per worker, are made before
	// the clock starts: the figure is rotations, not connection set-up.
	workers := perCPU * runtime.GOMAXPROCS(0)
	type chain struct {
		id, cur string
		gen     int
	}
	chains := make([]chain, workers)
	var wg sync.WaitGroup
	for i := range chains {
		id := "grant-" + strconv.Itoa(i)
		chains[i] = chain{id: id, cur: hash()}
		g := store.Grant{ID: id, ClientID: "bench", Subject: "user", Scopes: []string{"openid", "offline_access"},
			AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		wg.Go(func() {
			if err := db.CreateGrant(ctx, g, store.RefreshToken{Hash: chains[i].cur, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, store.Event{}); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(perCPU)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &chains[next.Add(1)-1]
		id, cur, gen := c.id, c.cur, c.gen
		for pb.Next() {
			if jti {
				now := time.Now()
				if err := db.UseJTI(ctx, "bench", hash(), now.Add(time.Minute), now); err != nil {
					b.Error(err)
					return
				}
			}
			if find {
				rt, _, err := db.RefreshToken(ctx, id, cur)
				if err != nil {
					b.Error(err)
					return
				}
				gen = rt.Generation
			}
			now := time.Now()
			next := store.RefreshToken{Hash: hash(), GrantID: id, Generation: gen + 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if err := db.RotateRefreshToken(ctx, cur, now, next); err != nil {
				b.Error(err)
				return
			}
			cur, gen = next.Hash, gen+1
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rotations/s")
}
