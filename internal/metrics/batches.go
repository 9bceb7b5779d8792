package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Batcher is a store that group-commits its hot path (the SQLite and
// PostgreSQL stores): it counts its batches.
type Batcher interface {
	Batches() *store.BatchCounts
}

// batchStats are tollgate_store_batched_calls_total and
// tollgate_store_batches_total, read from the store's counters on scrape,
// so the hot path pays only the store's two atomic adds per batch.
type batchStats struct {
	counts         *store.BatchCounts
	calls, batches *prometheus.Desc
}

func newBatchStats(b Batcher) *batchStats {
	return &batchStats{
		counts: b.Batches(),
		calls: prometheus.NewDesc("tollgate_store_batched_calls_total",
			"Store calls sent in group-committed batches, by operation.", []string{"operation"}, nil),
		batches: prometheus.NewDesc("tollgate_store_batches_total",
			"Batches the store sent, by operation: calls / batches is the mean batch size.", []string{"operation"}, nil),
	}
}

func (s *batchStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.calls
	ch <- s.batches
}

func (s *batchStats) Collect(ch chan<- prometheus.Metric) {
	for kind, name := range store.BatchKinds {
		calls, batches := s.counts.Get(kind)
		ch <- prometheus.MustNewConstMetric(s.calls, prometheus.CounterValue, float64(calls), name)
		ch <- prometheus.MustNewConstMetric(s.batches, prometheus.CounterValue, float64(batches), name)
	}
}
