package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// batchOps labels each batch kind as tollgate_store_duration_seconds
// labels the same call.
var batchOps = [store.NumBatchKinds]int{store.BatchLookup: opRefreshToken, store.BatchRotate: opRotate, store.BatchUseJTI: opUseJTI}

// batchStats are tollgate_store_batched_calls_total and
// tollgate_store_batches_total, read from the store's counters on scrape,
// so the hot path pays only the store's two atomic adds per batch.
type batchStats struct {
	counts         *store.BatchCounts
	calls, batches *prometheus.Desc
}

func newBatchStats(b store.Batcher) *batchStats {
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
	for kind, op := range batchOps {
		name := opNames[op]
		calls, batches := s.counts.Get(kind)
		ch <- prometheus.MustNewConstMetric(s.calls, prometheus.CounterValue, float64(calls), name)
		ch <- prometheus.MustNewConstMetric(s.batches, prometheus.CounterValue, float64(batches), name)
	}
}
