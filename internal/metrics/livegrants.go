package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// countTimeout bounds the store count one scrape may wait for.
const countTimeout = 2 * time.Second

// liveGrants is tollgate_live_grants: counted by the store on scrape, the
// answer (or the failure) reused for ttl, so a storm of scrapes, or many
// Prometheus servers, cost the store one count per ttl. A count that fails
// leaves the metric out of the scrape (alert on its absence), rather than
// serve a number that is no longer true.
type liveGrants struct {
	desc  *prometheus.Desc
	store Counter
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu   sync.Mutex // held across the count: concurrent scrapes wait for one
	at   time.Time  // when the cached answer was taken; zero: none yet
	n    int
	fail bool
}

func newLiveGrants(st Counter, ttl time.Duration, now func() time.Time, log *slog.Logger) *liveGrants {
	return &liveGrants{
		desc: prometheus.NewDesc("tollgate_live_grants",
			"Grants neither revoked nor past their absolute lifetime, counted in the store (cached for up to the TTL).", nil, nil),
		store: st, ttl: ttl, now: now, log: log,
	}
}

func (l *liveGrants) Describe(ch chan<- *prometheus.Desc) { ch <- l.desc }

func (l *liveGrants) Collect(ch chan<- prometheus.Metric) {
	n, ok := l.count()
	if ok {
		ch <- prometheus.MustNewConstMetric(l.desc, prometheus.GaugeValue, float64(n))
	}
}

func (l *liveGrants) count() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.at.IsZero() && now.Sub(l.at) < l.ttl && now.Sub(l.at) >= 0 {
		return l.n, !l.fail
	}
	ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
	defer cancel()
	n, err := l.store.CountLiveGrants(ctx, now)
	l.at, l.n, l.fail = now, n, err != nil
	if err != nil {
		l.log.LogAttrs(ctx, slog.LevelWarn, "metrics: counting live grants failed", slog.String("error", err.Error()))
	}
	return n, err == nil
}
