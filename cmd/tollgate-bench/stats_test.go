package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond}, {0.5, time.Millisecond}, {99.9, 100 * time.Millisecond}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v of 1..100 ms = %v, want %v", c.p, got, c.want)
		}
	}
	ten := s[:10]
	if got := percentile(ten, 99); got != 10*time.Millisecond {
		t.Errorf("p99 of 10 samples = %v, want the largest", got)
	}
	if got := percentile(ten, 50); got != 5*time.Millisecond {
		t.Errorf("p50 of 1..10 ms = %v, want 5ms", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestSummarizeCountsWhatTheWorkersSaw(t *testing.T) {
	a, b := newTally(), newTally()
	a.ok, a.lat = 3, []time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}
	a.errs["HTTP 400 invalid_grant"] = 2
	b.ok, b.lat, b.retries = 1, []time.Duration{4 * time.Millisecond}, 1
	b.errs["HTTP 400 invalid_grant"] = 1
	b.errs["transport: timeout"] = 4
	b.rules[ruleRetryDifferent] = 1
	a.merge(b)
	r := summarize(a, 2*time.Second)
	if r.Refreshes != 4 || r.PerSecond != 2 || r.Retries != 1 {
		t.Errorf("refreshes %d, per second %v, retries %d; want 4, 2, 1", r.Refreshes, r.PerSecond, r.Retries)
	}
	if r.P50ms != 2 || r.MaxMs != 4 {
		t.Errorf("p50 %v ms, max %v ms; want 2 and 4", r.P50ms, r.MaxMs)
	}
	if r.Errors["HTTP 400 invalid_grant"] != 3 || r.Errors["transport: timeout"] != 4 || r.ruleErrors() != 1 {
		t.Errorf("errors %v, rule errors %v", r.Errors, r.RuleErrors)
	}
	var out strings.Builder
	r.print(&out)
	if !strings.Contains(out.String(), "transport: timeout: 4, HTTP 400 invalid_grant: 3") ||
		!strings.Contains(out.String(), ruleRetryDifferent+": 1") {
		t.Errorf("printed:\n%s", out.String())
	}
}
