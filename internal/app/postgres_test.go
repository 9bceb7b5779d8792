package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// pgStorage returns a postgres:// storage for one test: a schema of its own
// in the TOLLGATE_TEST_POSTGRES database, dropped when the test ends.
// Without the variable the test is skipped (failed in CI).
func pgStorage(t *testing.T) string { return pgtest.Schema(t, "tg_app", nil) }

// pgTestConfig is a finished configuration on a fresh PostgreSQL schema,
// with its system secret under dir.
func pgTestConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	c := config.Default()
	c.Issuer = "http://127.0.0.1:1"
	c.Storage = pgStorage(t)
	c.SystemSecretFile = filepath.Join(dir, "system.key")
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPostgresNodes: nodes started together on one PostgreSQL database
// migrate it once between them, sign with the same keys, are ready, and
// share one janitor lease.
func TestPostgresNodes(t *testing.T) {
	t.Setenv(EnvSystemSecret, strings.Repeat("s", 32)) // every node of a cluster shares it
	t.Setenv(EnvStoragePassword, "")
	cfg := pgTestConfig(t, t.TempDir())
	clk := testclock.At(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	nodes := make([]*App, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			nodes[i], errs[i] = Open(context.Background(), cfg, Options{NodeID: "node-" + string(rune('a'+i)), Now: clk.Now})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { nodes[i].Close() })
	}
	jwks := string(nodes[0].Keys.JWKSJSON())
	sweepers := 0
	for i, n := range nodes {
		if got := string(n.Keys.JWKSJSON()); got != jwks {
			t.Errorf("node %d publishes other keys than node 0", i)
		}
		w := httptest.NewRecorder()
		n.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if w.Code != http.StatusOK {
			t.Errorf("node %d /readyz: %d %s", i, w.Code, w.Body.String())
		}
		swept, _, err := n.SweepOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if swept {
			sweepers++
		}
	}
	if sweepers != 1 {
		t.Errorf("%d of 3 nodes swept in one interval, want 1", sweepers)
	}
}

// TestPostgresStartFailsCleanly: a node whose database cannot be reached
// does not start, fails within its connect timeout rather than hanging,
// and says which store it tried without the password.
func TestPostgresStartFailsCleanly(t *testing.T) {
	t.Setenv(EnvSystemSecret, strings.Repeat("s", 32))
	t.Setenv(EnvStoragePassword, "")
	cfg := pgTestConfig(t, t.TempDir())
	// A database nobody listens on: Open fails fast with an error that
	// names the store without its password, instead of hanging.
	u, _ := url.Parse(cfg.Storage)
	u.Host = "127.0.0.1:1"
	u.User = url.UserPassword("tg", "hunter2")
	cfg.Storage = u.String()
	cfg.StorageOptions.ConnectTimeout = time.Second
	start := time.Now()
	_, err := Open(context.Background(), cfg, Options{})
	if err == nil {
		t.Fatal("Open of an unreachable database succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q: want the store named, without its password", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Open took %v against an unreachable database", d)
	}
}

// TestPostgresStoreMetrics: a node on PostgreSQL serves the store's
// group-commit counters and its retry count; on SQLite, which never
// retries, the retry count is left out.
func TestPostgresStoreMetrics(t *testing.T) {
	t.Setenv(EnvSystemSecret, strings.Repeat("s", 32))
	t.Setenv(EnvStoragePassword, "")
	names := func(cfg *config.Config) map[string]bool {
		t.Helper()
		a, err := Open(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		families, err := a.operate.metrics.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, f := range families {
			out[f.GetName()] = true
		}
		return out
	}
	pg := names(pgTestConfig(t, t.TempDir()))
	for _, want := range []string{"tollgate_store_retries_total", "tollgate_store_batches_total"} {
		if !pg[want] {
			t.Errorf("PostgreSQL node: no %s", want)
		}
	}
	if names(testConfig(t, t.TempDir()))["tollgate_store_retries_total"] {
		t.Error("SQLite node: serves tollgate_store_retries_total, but it never retries")
	}
}
