package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// tally is what one worker saw inside the measured window; merged into a
// result at the end. Not safe for concurrent use: one per worker.
type tally struct {
	ok      int             // successful refreshes (retries included)
	retries int             // deliberate retries sent (-retry-every)
	revokes int             // chains revoked (-revoke-every)
	lat     []time.Duration // latency of each successful refresh
	errs    map[string]int  // failed requests by kind
	rules   map[string]int  // broken rules by name (rules.go)
}

func newTally() *tally {
	return &tally{errs: map[string]int{}, rules: map[string]int{}}
}

func (t *tally) merge(o *tally) {
	t.ok += o.ok
	t.retries += o.retries
	t.revokes += o.revokes
	t.lat = append(t.lat, o.lat...)
	for k, v := range o.errs {
		t.errs[k] += v
	}
	for k, v := range o.rules {
		t.rules[k] += v
	}
}

// percentile is the nearest-rank percentile p (0 < p <= 100) of sorted:
// the smallest sample with at least p% of the samples at or below it.
// Exact, as a histogram is not; zero without samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The small margin keeps float error (0.9*100 = 90.00000000000001)
	// from pushing an exact rank to the next sample.
	rank := int(math.Ceil(float64(len(sorted))*p/100 - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// result is one run, as printed and as a -json line.
type result struct {
	Time       string         `json:"time"`
	Label      string         `json:"label,omitempty"`
	Target     string         `json:"target"`
	Workers    int            `json:"c"`
	Chains     int            `json:"chains"`
	Seconds    float64        `json:"seconds"`
	Refreshes  int            `json:"refreshes"`
	PerSecond  float64        `json:"refreshes_per_s"`
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Retries    int            `json:"retries,omitempty"`
	Revokes    int            `json:"revokes,omitempty"`
	Errors     map[string]int `json:"errors"`
	RuleErrors map[string]int `json:"rule_errors"`
	CPUPercent float64        `json:"server_cpu_percent,omitempty"`
	PeakRSSMiB float64        `json:"server_peak_rss_mib,omitempty"`
	// The peak sample's parts: anonymous (the Go heap, SQLite's memory),
	// mapped files, shared memory (the WAL index).
	PeakAnonMiB  float64 `json:"server_peak_anon_mib,omitempty"`
	PeakFileMiB  float64 `json:"server_peak_file_mib,omitempty"`
	PeakShmemMiB float64 `json:"server_peak_shmem_mib,omitempty"`
	HWMMiB       float64 `json:"server_vmhwm_mib,omitempty"`
	Load1Before  float64 `json:"load1_before"`
	// The tool's own CPU in the window (100 = one core), taken from the
	// box the server runs on, and its HTTP client (-http).
	ToolCPUPercent float64 `json:"tool_cpu_percent,omitempty"`
	HTTPClient     string  `json:"http_client"`
	// -cpu-of: the processes of that command name, their CPU summed.
	CPUOf        string  `json:"cpu_of,omitempty"`
	CPUOfPercent float64 `json:"cpu_of_percent,omitempty"`
	StoreCheck   string  `json:"store_check,omitempty"` // -check-store's finding
	// -metrics: the store's group-commit batches in the window, by operation.
	StoreBatches map[string]batchStat `json:"store_batches,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// perRefresh says a CPU share (100 = one core) as CPU time per refresh of
// the run: the figure that adds up across the processes of one box.
func (r result) perRefresh(percent float64) string {
	if r.PerSecond <= 0 {
		return "no refreshes"
	}
	return fmt.Sprintf("%.0f µs per refresh", percent/100*1e6/r.PerSecond)
}

// summarize turns the merged tally of a window of length window into a result.
func summarize(t *tally, window time.Duration) result {
	slices.Sort(t.lat)
	r := result{
		Seconds: window.Seconds(), Refreshes: t.ok, Retries: t.retries, Revokes: t.revokes,
		P50ms: ms(percentile(t.lat, 50)), P90ms: ms(percentile(t.lat, 90)),
		P99ms: ms(percentile(t.lat, 99)), MaxMs: ms(percentile(t.lat, 100)),
		Errors: maps.Clone(t.errs), RuleErrors: maps.Clone(t.rules),
	}
	if window > 0 {
		r.PerSecond = float64(t.ok) / window.Seconds()
	}
	return r
}

// ruleErrors is how many responses broke a rule.
func (r result) ruleErrors() int {
	n := 0
	for _, v := range r.RuleErrors {
		n += v
	}
	return n
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "c=%d chains=%d %.1fs  %.0f refreshes/s (%d)  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  load %.2f\n",
		r.Workers, r.Chains, r.Seconds, r.PerSecond, r.Refreshes, r.P50ms, r.P90ms, r.P99ms, r.MaxMs, r.Load1Before)
	if r.Retries > 0 || r.Revokes > 0 {
		fmt.Fprintf(w, "  deliberate retries %d, chains revoked %d\n", r.Retries, r.Revokes)
	}
	if r.CPUPercent > 0 || r.PeakRSSMiB > 0 {
		fmt.Fprintf(w, "  server CPU %.0f%% (100%% = one core; %s)  peak RSS %.1f MiB (anon %.1f, file %.1f, shmem %.1f; sampled every 200 ms)  VmHWM %.1f MiB\n",
			r.CPUPercent, r.perRefresh(r.CPUPercent), r.PeakRSSMiB, r.PeakAnonMiB, r.PeakFileMiB, r.PeakShmemMiB, r.HWMMiB)
	}
	if r.CPUOf != "" {
		fmt.Fprintf(w, "  %s CPU %.0f%% (every process of that name; %s)\n", r.CPUOf, r.CPUOfPercent, r.perRefresh(r.CPUOfPercent))
	}
	if r.ToolCPUPercent > 0 {
		fmt.Fprintf(w, "  tool CPU %.0f%% (-http %s; %s)\n", r.ToolCPUPercent, r.HTTPClient, r.perRefresh(r.ToolCPUPercent))
	}
	fmt.Fprintf(w, "  errors: %s\n", kinds(r.Errors))
	fmt.Fprintf(w, "  rule errors: %s\n", kinds(r.RuleErrors))
	if r.StoreCheck != "" {
		fmt.Fprintf(w, "  check-store: %s\n", r.StoreCheck)
	}
	if r.StoreBatches != nil {
		fmt.Fprintf(w, "  store batches: %s\n", batchLine(r.StoreBatches))
	}
}

// kinds lists counts by kind, largest first, or "none".
func kinds(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
