package main

import (
	"strings"
	"testing"
)

// The two counters are read by operation from Prometheus text, whatever
// else the page holds, and a run's batches are the difference.
func TestParseBatches(t *testing.T) {
	page := func(rot, rotB, jti, jtiB string) string {
		return `# HELP tollgate_store_batched_calls_total Store calls sent in group-committed batches, by operation.
# TYPE tollgate_store_batched_calls_total counter
tollgate_store_batched_calls_total{operation="rotate_refresh_token"} ` + rot + `
tollgate_store_batched_calls_total{operation="use_jti"} ` + jti + `
# HELP tollgate_store_batches_total Group-committed store batches, by operation.
# TYPE tollgate_store_batches_total counter
tollgate_store_batches_total{operation="rotate_refresh_token"} ` + rotB + `
tollgate_store_batches_total{operation="use_jti"} ` + jtiB + `
# TYPE tollgate_requests_total counter
tollgate_requests_total{endpoint="token",operation="x"} 99
# TYPE go_goroutines gauge
go_goroutines 12
`
	}
	before, err := parseBatches(strings.NewReader(page("100", "10", "7", "7")))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseBatches(strings.NewReader(page("1.1e+06", "100010", "7", "7")))
	if err != nil {
		t.Fatal(err)
	}
	got := after.since(before)
	if len(got) != 1 || got["rotate_refresh_token"] != (batchStat{Calls: 1099900, Batches: 100000, Mean: 10.999}) {
		t.Errorf("since = %+v; want only rotate_refresh_token, 1099900 calls in 100000 batches", got)
	}
	if line := batchLine(got); line != "rotate_refresh_token 100000 batches of 11.0" {
		t.Errorf("batchLine = %q", line)
	}
	if _, err := parseBatches(strings.NewReader("go_goroutines 12\n")); err == nil {
		t.Error("a page without the counters: no error")
	}
	if _, err := parseBatches(strings.NewReader(`tollgate_store_batches_total{operation="use_jti"} many` + "\n")); err == nil {
		t.Error("a counter that is no number: no error")
	}
}
