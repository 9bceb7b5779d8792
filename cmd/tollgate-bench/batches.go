package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// -metrics: a node's group-commit counters, read from its admin listener's
// /metrics before and after the measured window. By store operation,
// tollgate_store_batched_calls_total / tollgate_store_batches_total is the
// mean batch size over the run (docs/performance.md).

const (
	metricCalls   = "tollgate_store_batched_calls_total"
	metricBatches = "tollgate_store_batches_total"
)

// batchStat is one operation's batches in a run's window.
type batchStat struct {
	Calls   int64   `json:"calls"`
	Batches int64   `json:"batches"`
	Mean    float64 `json:"mean"`
}

// batchCounts are the two counters by operation, as read at one moment.
type batchCounts map[string][2]int64 // operation: calls, batches

// scrapeBatches reads the counters from url (token: the admin listener's
// bearer token, "" for none).
func scrapeBatches(ctx context.Context, url, token string) (batchCounts, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("-metrics %s: %s (is $TOLLGATE_ADMIN_TOKEN the node's admin token?)", url, resp.Status)
	}
	return parseBatches(resp.Body)
}

// parseBatches reads the two counters from the Prometheus text format
// (expfmt, as the e2e tests read /metrics), by their operation label.
func parseBatches(r io.Reader) (batchCounts, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	out := batchCounts{}
	for i, name := range []string{metricCalls, metricBatches} {
		for _, m := range fams[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" {
					c := out[l.GetValue()]
					c[i] = int64(m.GetCounter().GetValue())
					out[l.GetValue()] = c
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-metrics: no %s in the answer: not a Tollgate node's /metrics?", metricBatches)
	}
	return out, nil
}

// since is what changed from before to c: the window's batches, by
// operation, leaving out operations with none.
func (c batchCounts) since(before batchCounts) map[string]batchStat {
	out := map[string]batchStat{}
	for op, now := range c {
		calls, batches := now[0]-before[op][0], now[1]-before[op][1]
		if batches > 0 {
			out[op] = batchStat{Calls: calls, Batches: batches, Mean: float64(calls) / float64(batches)}
		}
	}
	return out
}

// batchLine says the window's batches, by operation in name order.
func batchLine(m map[string]batchStat) string {
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d batches of %.1f", op, m[op].Batches, m[op].Mean))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
