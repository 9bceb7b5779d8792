package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tollgate-oidc/tollgate/internal/metrics"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// TestClientLabelsAreTheConfiguredSet: an id not in the configuration is
// counted as "other", so no caller can add a series.
func TestClientLabelsAreTheConfiguredSet(t *testing.T) {
	m := metrics.New(metrics.Options{Clients: []string{"app"}})
	m.TokenIssued("password", "app")
	m.TokenIssued("password", "intruder-1")
	m.TokenIssued("password", "intruder-2")
	m.RefreshOutcome("app", refresh.OutcomeStolen)
	m.RefreshOutcome("nobody", refresh.OutcomeUnknown)
	want := `
# HELP tollgate_tokens_issued_total Token responses sent, by grant type and client.
# TYPE tollgate_tokens_issued_total counter
tollgate_tokens_issued_total{client="app",grant_type="authorization_code"} 0
tollgate_tokens_issued_total{client="app",grant_type="client_credentials"} 0
tollgate_tokens_issued_total{client="app",grant_type="password"} 1
tollgate_tokens_issued_total{client="app",grant_type="refresh_token"} 0
tollgate_tokens_issued_total{client="other",grant_type="authorization_code"} 0
tollgate_tokens_issued_total{client="other",grant_type="client_credentials"} 0
tollgate_tokens_issued_total{client="other",grant_type="password"} 2
tollgate_tokens_issued_total{client="other",grant_type="refresh_token"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "tollgate_tokens_issued_total"); err != nil {
		t.Error(err)
	}
	n, err := testutil.GatherAndCount(m.Registry(), "tollgate_refresh_total")
	if err != nil || n != 2*int(refresh.NumOutcomes) {
		t.Errorf("refresh series = %d, %v; want %d (every outcome of app and other)", n, err, 2*int(refresh.NumOutcomes))
	}
}

// TestInstrumentLabelsByPattern: the route label is the mux's pattern,
// never the path; an unrouted request is "unmatched".
func TestInstrumentLabelsByPattern(t *testing.T) {
	m := metrics.New(metrics.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("/users/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	h := m.Instrument(mux)
	for _, p := range []string{"/users/1", "/users/2", "/ok", "/nope/secret-path"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, f := range fams {
		if f.GetName() != "tollgate_http_request_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			var route, status string
			for _, l := range s.GetLabel() {
				switch l.GetName() {
				case "route":
					route = l.GetValue()
				case "status":
					status = l.GetValue()
				}
			}
			if n := s.GetHistogram().GetSampleCount(); n > 0 {
				got[route+" "+status] = n
			}
		}
	}
	want := map[string]uint64{"/users/{id} 4xx": 2, "/ok 2xx": 1, "unmatched 4xx": 1}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d requests, want %d (all: %v)", k, got[k], n, got)
		}
	}
}

// countingStore counts the counts it is asked for.
type countingStore struct {
	mu    sync.Mutex
	calls int
	n     int
	err   error
}

func (c *countingStore) CountLiveGrants(ctx context.Context, now time.Time) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return c.n, c.err
}

// TestLiveGrantsCached: scrapes within the TTL cost the store nothing; a
// failed count leaves the gauge out, and is itself cached.
func TestLiveGrantsCached(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	st := &countingStore{n: 7}
	m := metrics.New(metrics.Options{Grants: st, GrantsTTL: 30 * time.Second, Now: func() time.Time { return now }})
	gauge := func() (float64, bool) {
		fams, _ := m.Registry().Gather()
		for _, f := range fams {
			if f.GetName() == "tollgate_live_grants" {
				return f.GetMetric()[0].GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	for range 50 {
		if v, ok := gauge(); !ok || v != 7 {
			t.Fatalf("gauge = %v, %v; want 7", v, ok)
		}
	}
	if st.calls != 1 {
		t.Errorf("50 scrapes within the TTL counted %d times, want 1", st.calls)
	}
	st.n = 8
	now = now.Add(30 * time.Second)
	if v, _ := gauge(); v != 8 || st.calls != 2 {
		t.Errorf("after the TTL: gauge %v after %d counts; want 8 after 2", v, st.calls)
	}
	st.err = errors.New("store down")
	now = now.Add(30 * time.Second)
	for range 5 {
		if _, ok := gauge(); ok {
			t.Error("the gauge was served although the count failed")
		}
	}
	if st.calls != 3 {
		t.Errorf("failed counts: %d calls, want 3 (the failure is cached too)", st.calls)
	}
}

// TestStoreTimesHotPath: the wrapper times each hot-path call once and
// passes answers and errors through unchanged.
func TestStoreTimesHotPath(t *testing.T) {
	m := metrics.New(metrics.Options{})
	st := m.Store(memstore.New())
	ctx := context.Background()
	if _, _, err := st.RefreshToken(ctx, "g-nope", "nope"); err == nil {
		t.Error("RefreshToken(unknown) through the wrapper: no error")
	}
	if err := st.UseJTI(ctx, "app", "j1", time.Time{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.UseJTI(ctx, "app", "j1", time.Time{}, time.Now()); err == nil {
		t.Error("UseJTI twice through the wrapper: no conflict")
	}
	for op, n := range map[string]uint64{"refresh_token": 1, "use_jti": 2, "rotate_refresh_token": 0} {
		fams, _ := m.Registry().Gather()
		var got uint64
		for _, f := range fams {
			if f.GetName() != "tollgate_store_duration_seconds" {
				continue
			}
			for _, s := range f.GetMetric() {
				if s.GetLabel()[0].GetValue() == op {
					got = s.GetHistogram().GetSampleCount()
				}
			}
		}
		if got != n {
			t.Errorf("%s: %d observations, want %d", op, got, n)
		}
	}
}

// batcher is a store's batch counters, for TestBatchMetrics.
type batcher struct{ counts store.BatchCounts }

func (b *batcher) Batches() *store.BatchCounts { return &b.counts }

// TestBatchMetrics: the store's batch counters are served on scrape, every
// operation present from the start.
func TestBatchMetrics(t *testing.T) {
	b := &batcher{}
	m := metrics.New(metrics.Options{Batches: b})
	b.counts.Add(store.BatchRotate, 5)
	b.counts.Add(store.BatchRotate, 3)
	b.counts.Add(store.BatchLookup, 1)
	b.counts.Add(store.BatchUseJTI, 0) // no batch
	want := `
# HELP tollgate_store_batched_calls_total Store calls sent in group-committed batches, by operation.
# TYPE tollgate_store_batched_calls_total counter
tollgate_store_batched_calls_total{operation="refresh_token"} 1
tollgate_store_batched_calls_total{operation="rotate_refresh_token"} 8
tollgate_store_batched_calls_total{operation="use_jti"} 0
# HELP tollgate_store_batches_total Batches the store sent, by operation: calls / batches is the mean batch size.
# TYPE tollgate_store_batches_total counter
tollgate_store_batches_total{operation="refresh_token"} 1
tollgate_store_batches_total{operation="rotate_refresh_token"} 2
tollgate_store_batches_total{operation="use_jti"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"tollgate_store_batched_calls_total", "tollgate_store_batches_total"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(metrics.New(metrics.Options{}).Registry(), "tollgate_store_batches_total"); n != 0 {
		t.Errorf("without a batching store: %d batch series, want none", n)
	}
}

// retrier is a store's retry count, for TestRetryMetric.
type retrier int64

func (r *retrier) Retries() int64 { return int64(*r) }

// TestRetryMetric: the store's retry count is served on scrape, and left
// out for a store that never retries.
func TestRetryMetric(t *testing.T) {
	r := retrier(0)
	m := metrics.New(metrics.Options{Retries: &r})
	r = 7
	want := `
# HELP tollgate_store_retries_total Statements and transactions the store retried because its database asked (serialization failure, deadlock).
# TYPE tollgate_store_retries_total counter
tollgate_store_retries_total 7
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "tollgate_store_retries_total"); err != nil {
		t.Error(err)
	}
	if n, _ := testutil.GatherAndCount(metrics.New(metrics.Options{}).Registry(), "tollgate_store_retries_total"); n != 0 {
		t.Errorf("without a retrying store: %d retry series, want none", n)
	}
}
