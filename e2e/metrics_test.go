package e2e

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

const adminToken = "admin-token-for-the-e2e-tests-0123456789" // a test value, at least 32 characters

// startAdmin runs the server with the admin listener on a loopback port
// (its token in a file) and returns the listener's base URL.
func startAdmin(t *testing.T) (*env, string) {
	t.Helper()
	t.Setenv(config.AdminTokenEnv, "") // the file, not the environment, holds the token here
	file := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(file, []byte(adminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startWith(t, func(c *config.Config) {
		c.Admin = config.Admin{Listen: "127.0.0.1:0", TokenFile: file}
	})
	e.secrets = append(e.secrets, adminToken)
	deadline := time.Now().Add(10 * time.Second)
	for e.app.AdminAddr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the admin listener did not open")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e, "http://" + e.app.AdminAddr()
}

// get sends a GET with an optional Authorization header value.
func adminGet(t *testing.T, u, auth string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// scrape reads /metrics the way Prometheus does, and parses the text format.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, base string) scrape {
	t.Helper()
	status, _, body := adminGet(t, base+"/metrics", "Bearer "+adminToken)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics with the token: %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value is the counter, gauge or histogram count of the series of name
// whose labels include labels (name=value pairs); -1 if there is none.
func (s scrape) value(name string, labels ...string) float64 {
	f, ok := s[name]
	if !ok {
		return -1
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestAdminListenerRefusesWithoutToken: no token, a wrong one, another
// scheme: the same 401, which does not say which part was wrong.
func TestAdminListenerRefusesWithoutToken(t *testing.T) {
	e, base := startAdmin(t)
	var first string
	for _, auth := range []string{"", "Bearer wrong-token", "Bearer " + adminToken + "x", "Basic " + b64("admin:"+adminToken), "Bearer"} {
		for _, path := range []string{"/metrics", "/nothing-here"} {
			status, h, body := adminGet(t, base+path, auth)
			if status != http.StatusUnauthorized {
				t.Errorf("GET %s with Authorization %q: %d, want 401", path, auth, status)
			}
			if h.Get("WWW-Authenticate") != `Bearer realm="tollgate-admin"` {
				t.Errorf("GET %s with %q: WWW-Authenticate %q", path, auth, h.Get("WWW-Authenticate"))
			}
			if first == "" {
				first = body
			} else if body != first {
				t.Errorf("GET %s with %q: body %q differs from %q: it tells the failures apart", path, auth, body, first)
			}
		}
	}
	// RFC 6750 §2.1: the scheme is case-insensitive.
	if status, _, _ := adminGet(t, base+"/metrics", "bearer "+adminToken); status != http.StatusOK {
		t.Errorf("GET /metrics with a lower-case scheme: %d, want 200", status)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "admin: request refused") {
		t.Error("no log line for a refused admin request")
	}
	for _, v := range []string{adminToken, "wrong-token"} {
		if strings.Contains(logs, v) {
			t.Errorf("the log holds a presented admin token %q", v)
		}
	}
}

// TestMetricsCountRefreshOutcomes: a password grant, a refresh, its retry
// within the grace window and the first token's reuse after it each move
// their counters, on the real server, scraped from the admin listener.
func TestMetricsCountRefreshOutcomes(t *testing.T) {
	e, base := startAdmin(t)
	before := scrapeMetrics(t, base)
	for _, name := range []string{"go_goroutines", "process_open_fds", "tollgate_live_grants"} {
		if before.value(name) < 0 {
			t.Errorf("%s is missing from /metrics", name)
		}
	}
	if n := before.value("tollgate_live_grants"); n != 0 {
		t.Errorf("live grants on a fresh store = %v, want 0", n)
	}
	if n := before.value("tollgate_refresh_total", "outcome", "ok", "client", "short"); n != 0 {
		t.Errorf("refresh ok before any refresh = %v, want 0 (series present from the start)", n)
	}

	// "short" has a 10 s grace window.
	pw := e.passwordGrant("short", secretShort, "openid offline_access")
	wantOK(t, pw)
	rt0 := pw.str("refresh_token")
	first := e.refreshGrant("short", secretShort, rt0)
	wantOK(t, first)
	retry := e.refreshGrant("short", secretShort, rt0) // the response was "lost"
	wantOK(t, retry)
	// A path no route has: counted as unmatched, never under its own name.
	if r := e.do(mustRequest(t, http.MethodGet, e.issuer+"/no-such-route-4711", nil)); r.Status != http.StatusNotFound {
		t.Errorf("GET /no-such-route-4711: %d, want 404", r.Status)
	}

	s := scrapeMetrics(t, base)
	if n := s.value("tollgate_live_grants"); n != 0 {
		t.Errorf("live grants within the cache's 30 s = %v, want the cached 0", n)
	}
	want := []struct {
		name   string
		labels []string
		n      float64
	}{
		{"tollgate_tokens_issued_total", []string{"grant_type", "password", "client", "short"}, 1},
		{"tollgate_tokens_issued_total", []string{"grant_type", "refresh_token", "client", "short"}, 2},
		{"tollgate_refresh_total", []string{"outcome", "ok", "client", "short"}, 1},
		{"tollgate_refresh_total", []string{"outcome", "retried", "client", "short"}, 1},
		{"tollgate_refresh_total", []string{"outcome", "reused", "client", "short"}, 0},
		{"tollgate_http_request_duration_seconds", []string{"route", "/connect/token", "status", "2xx"}, 3},
		{"tollgate_http_request_duration_seconds", []string{"route", "unmatched", "status", "4xx"}, 1},
		{"tollgate_store_duration_seconds", []string{"operation", "rotate_refresh_token"}, 1},
		{"tollgate_store_duration_seconds", []string{"operation", "create_grant"}, 1},
		// One rotation, alone in its group-committed batch.
		{"tollgate_store_batched_calls_total", []string{"operation", "rotate_refresh_token"}, 1},
		{"tollgate_store_batches_total", []string{"operation", "rotate_refresh_token"}, 1},
	}
	for _, w := range want {
		if got := s.value(w.name, w.labels...); got != w.n {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.n)
		}
	}
	for _, m := range s["tollgate_http_request_duration_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "4711") {
				t.Errorf("a raw path became a label value: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}

	// Past the cache: the grant is live. Past the grace window too: the
	// first token again is reuse, and the grant is revoked for it.
	e.clk.Add(31 * time.Second)
	if n := scrapeMetrics(t, base).value("tollgate_live_grants"); n != 1 {
		t.Errorf("live grants after the cache expired = %v, want 1", n)
	}
	wantError(t, e.refreshGrant("short", secretShort, rt0), http.StatusBadRequest, "invalid_grant")
	e.clk.Add(31 * time.Second)
	s = scrapeMetrics(t, base)
	for _, w := range []struct {
		name   string
		labels []string
		n      float64
	}{
		{"tollgate_refresh_total", []string{"outcome", "reused", "client", "short"}, 1},
		{"tollgate_refresh_total", []string{"outcome", "ok", "client", "short"}, 1},
		{"tollgate_revocations_total", []string{"source", "reuse"}, 1},
		{"tollgate_revocations_total", []string{"source", "client"}, 0},
		{"tollgate_live_grants", nil, 0},
		{"tollgate_http_request_duration_seconds", []string{"route", "/connect/token", "status", "4xx"}, 1},
	} {
		if got := s.value(w.name, w.labels...); got != w.n {
			t.Errorf("after the reuse: %s%v = %v, want %v", w.name, w.labels, got, w.n)
		}
	}

	// A client revoking its own token at /connect/revocation (RFC 7009).
	rt := e.passwordGrant("app2", secretApp2, "openid offline_access").str("refresh_token")
	if r := e.post("/connect/revocation", url.Values{"token": {rt}, "client_id": {"app2"}, "client_secret": {secretApp2}}, "", ""); r.Status != http.StatusOK {
		t.Fatalf("revocation: %d", r.Status)
	}
	if n := scrapeMetrics(t, base).value("tollgate_revocations_total", "source", "client"); n != 1 {
		t.Errorf("revocations by client = %v, want 1", n)
	}
}

func mustRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestReadyzWhenStoreDown: /readyz is 503 once the store is gone, /healthz
// stays 200, and /metrics still answers without the live-grants gauge
// rather than with a number that is no longer true.
func TestReadyzWhenStoreDown(t *testing.T) {
	e, base := startAdmin(t)
	if r := e.do(mustRequest(t, http.MethodGet, e.issuer+"/readyz", nil)); r.Status != http.StatusOK {
		t.Fatalf("/readyz with the store up: %d", r.Status)
	}
	if err := e.app.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if r := e.do(mustRequest(t, http.MethodGet, e.issuer+"/readyz", nil)); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed: %d, want 503", r.Status)
	}
	if r := e.do(mustRequest(t, http.MethodGet, e.issuer+"/healthz", nil)); r.Status != http.StatusOK {
		t.Errorf("/healthz with the store closed: %d, want 200", r.Status)
	}
	s := scrapeMetrics(t, base)
	if n := s.value("tollgate_live_grants"); n != -1 {
		t.Errorf("live grants with the store closed = %v, want the metric left out", n)
	}
	if s.value("go_goroutines") < 0 {
		t.Error("/metrics lost the runtime metrics when the store went down")
	}
}
