package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The store operations timed: those of the token endpoint's hot paths
// (refresh, code exchange, client assertions and DPoP proofs).
const (
	opRefreshToken = iota
	opRotate
	opExtend
	opCreateGrant
	opGrantChain
	opRevokeGrant
	opAuthCode
	opConsumeAuthCode
	opUseJTI
	numOps
)

var opNames = [numOps]string{
	"refresh_token", "rotate_refresh_token", "extend_refresh_token", "create_grant", "grant_chain",
	"revoke_grant", "auth_code", "consume_auth_code", "use_jti",
}

// storeTimes is tollgate_store_duration_seconds, one observer per operation.
type storeTimes struct {
	vec *prometheus.HistogramVec
	ops [numOps]prometheus.Observer
}

func newStoreTimes() *storeTimes {
	t := &storeTimes{vec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tollgate_store_duration_seconds",
		Help: "Round-trip time of the store calls on the token endpoint's hot paths, by operation, failures included.",
		// 100 µs (an SQLite read) to about 2.4 s (a PostgreSQL retry under load).
		Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12),
	}, []string{"operation"})}
	for i, n := range opNames {
		t.ops[i] = t.vec.WithLabelValues(n)
	}
	return t
}

func (t *storeTimes) since(op int, start time.Time) {
	t.ops[op].Observe(time.Since(start).Seconds())
}

// Store wraps st so that the hot-path calls are timed; every other method
// is st's own. The wrapper holds no state of its own: the backend's
// behaviour (store/storetest) is unchanged.
func (m *Metrics) Store(st store.Store) store.Store {
	return &timedStore{Store: st, t: m.store}
}

type timedStore struct {
	store.Store
	t *storeTimes
}

func (s *timedStore) RefreshToken(ctx context.Context, grantID, hash string) (store.RefreshToken, store.Grant, error) {
	defer s.t.since(opRefreshToken, time.Now())
	return s.Store.RefreshToken(ctx, grantID, hash)
}

func (s *timedStore) RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	defer s.t.since(opRotate, time.Now())
	return s.Store.RotateRefreshToken(ctx, oldHash, consumedAt, next)
}

func (s *timedStore) ExtendRefreshToken(ctx context.Context, grantID, hash string, expiresAt time.Time) error {
	defer s.t.since(opExtend, time.Now())
	return s.Store.ExtendRefreshToken(ctx, grantID, hash, expiresAt)
}

func (s *timedStore) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error {
	defer s.t.since(opCreateGrant, time.Now())
	return s.Store.CreateGrant(ctx, g, first, ev)
}

func (s *timedStore) GrantChain(ctx context.Context, id string) (store.Grant, int, error) {
	defer s.t.since(opGrantChain, time.Now())
	return s.Store.GrantChain(ctx, id)
}

func (s *timedStore) RevokeGrant(ctx context.Context, id string, at time.Time, ev store.Event) (bool, error) {
	defer s.t.since(opRevokeGrant, time.Now())
	return s.Store.RevokeGrant(ctx, id, at, ev)
}

func (s *timedStore) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	defer s.t.since(opAuthCode, time.Now())
	return s.Store.AuthCode(ctx, hash)
}

func (s *timedStore) ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error) {
	defer s.t.since(opConsumeAuthCode, time.Now())
	return s.Store.ConsumeAuthCode(ctx, hash, at, grantID)
}

func (s *timedStore) UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	defer s.t.since(opUseJTI, time.Now())
	return s.Store.UseJTI(ctx, clientID, jti, expiresAt, now)
}
