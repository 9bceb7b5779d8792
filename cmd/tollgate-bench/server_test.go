package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

const (
	benchSecret   = "bench-secret-0123456789abcdefghijklmnop"
	benchPassword = "bench-password"
)

// server is a real Tollgate on a loopback port, with its config file.
type server struct {
	url, config string
	app         *app.App
}

// startServer runs the server of a configuration like examples/bench.yaml
// (ES256, one_time rotation) on storage.
func startServer(t *testing.T, storage string) *server {
	t.Helper()
	return startServerWith(t, storage, "")
}

// startServerWith is startServer with more clients, YAML list items.
func startServerWith(t *testing.T, storage, clients string) *server {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if storage == "" {
		storage = "sqlite:" + filepath.Join(dir, "tollgate.db")
	}
	yaml := fmt.Sprintf(`issuer: %s
listen: %s
storage: %q
system_secret_file: system.key
log_level: error
tokens:
  signing_alg: ES256
clients:
  - id: bench
    secret: %s
    grant_types: [password, refresh_token]
    scopes: [openid, offline_access]
    allow_offline_access: true
%susers:
  - username: bench
    password: %s
    subject: bench-user
`, url, l.Addr(), storage, benchSecret, clients, benchPassword)
	path := filepath.Join(dir, "tollgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != http.ErrServerClosed {
			t.Errorf("serve: %v", err)
		}
		a.Close()
	})
	return &server{url: url, config: path, app: a}
}

// bench runs the tool in-process and returns its output and -json lines.
func (s *server) bench(t *testing.T, args ...string) (string, []result) {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "runs.jsonl")
	args = append([]string{"-url", s.url, "-secret", benchSecret, "-config", s.config, "-json", jsonPath,
		"-d", "1s", "-warmup", "200ms"}, args...)
	var out, errw strings.Builder
	if err := run(context.Background(), args, &out, &errw); err != nil {
		t.Fatalf("tollgate-bench %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errw.String())
	}
	var rs []result
	if f, err := os.Open(jsonPath); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var r result
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
		}
	}
	return out.String(), rs
}

// clean fails the test unless every run refreshed, without an error or a
// broken rule.
func clean(t *testing.T, out string, rs []result, runs int) {
	t.Helper()
	if len(rs) != runs {
		t.Fatalf("%d -json lines, want %d\n%s", len(rs), runs, out)
	}
	for _, r := range rs {
		if r.Refreshes == 0 || len(r.Errors) != 0 || len(r.RuleErrors) != 0 || r.P50ms <= 0 || r.MaxMs < r.P99ms {
			t.Errorf("run at c=%d: %d refreshes, errors %v, rule errors %v, p50 %v p99 %v max %v\n%s",
				r.Workers, r.Refreshes, r.Errors, r.RuleErrors, r.P50ms, r.P99ms, r.MaxMs, out)
		}
	}
}

// Against a real server: chains by the password grant, two runs with
// deliberate retries and revocations, the store checked after each, the
// server's own CPU and RSS read: no errors and no broken rule.
func TestAgainstARealServer(t *testing.T) {
	s := startServer(t, "")
	tokens := filepath.Join(t.TempDir(), "bench.tokens")
	// No warm-up, and a revocation every 5th operation of a worker: the
	// revocations then fall in the measured window whatever the machine's
	// speed (a worker stops revoking at its last chain, so a warm-up could
	// use them all up unmeasured).
	// The server runs in this process: -cpu-of by this process's name
	// counts it, as -cpu-of postgres counts a database's backends.
	self, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSpace(string(self))
	// The node's /metrics, as its admin listener serves it.
	metrics := httptest.NewServer(s.app.Metrics().Handler())
	defer metrics.Close()
	out, rs := s.bench(t, "-password", benchPassword, "-grants", "16", "-c", "4,2", "-tokens", tokens,
		"-retry-every", "3", "-revoke-every", "5", "-warmup", "0", "-check-store", "-pid", fmt.Sprint(os.Getpid()), "-cpu-of", name,
		"-metrics", metrics.URL)
	clean(t, out, rs, 2)
	if rs[0].Revokes+rs[1].Revokes == 0 {
		t.Errorf("no chain revoked:\n%s", out)
	}
	for _, r := range rs {
		// The peak's parts are of one sample: they add up to it (proc(5)).
		parts := r.PeakAnonMiB + r.PeakFileMiB + r.PeakShmemMiB
		if r.Retries == 0 || r.PeakRSSMiB <= 0 || r.CPUPercent <= 0 || r.PeakAnonMiB <= 0 || math.Abs(parts-r.PeakRSSMiB) > 0.01 ||
			r.ToolCPUPercent <= 0 || r.HTTPClient != httpLean {
			t.Errorf("c=%d: %d retries, peak RSS %v MiB (anon %v, file %v, shmem %v), CPU %v%%, tool CPU %v%% with %q", r.Workers, r.Retries,
				r.PeakRSSMiB, r.PeakAnonMiB, r.PeakFileMiB, r.PeakShmemMiB, r.CPUPercent, r.ToolCPUPercent, r.HTTPClient)
		}
		// Every refresh of the window looked its token up and, but for
		// the deliberate retries, rotated it, in the store's batches; the
		// lookups (checks after a revocation too) stay within two per
		// refresh, so the counts are this run's, not the node's since start.
		look, rot := r.StoreBatches["refresh_token"], r.StoreBatches["rotate_refresh_token"]
		// (The counters are read before the first request and after the
		// last; the window's refreshes are those answered within -d.)
		if rot.Batches == 0 || rot.Calls < int64(r.Refreshes-r.Retries) || look.Calls < rot.Calls || look.Calls > int64(2*r.Refreshes) {
			t.Errorf("c=%d: %d refreshes (%d retries), store batches %+v", r.Workers, r.Refreshes, r.Retries, r.StoreBatches)
		}
		// The same process counted by name: the same CPU, as near as two
		// readings a moment apart come (one clock tick is 10 ms).
		if r.CPUOf != name || r.CPUOfPercent <= 0 || math.Abs(r.CPUOfPercent-r.CPUPercent) > 0.3*r.CPUPercent+2 {
			t.Errorf("c=%d: -cpu-of %q: %q at %v%%, against %v%% by -pid", r.Workers, name, r.CPUOf, r.CPUOfPercent, r.CPUPercent)
		}
	}
	// The chains moved on: the tool rotated them rather than retrying its
	// first tokens (which the grace window would also answer).
	chains, err := readTokens(tokens)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chains {
		if gen := generationOf(c.token); gen < 2 {
			t.Errorf("a chain ended at generation %d, want 2 or more", gen)
		}
	}
	if !strings.Contains(out, "  "+name+" CPU ") || !strings.Contains(out, " µs per refresh)") {
		t.Errorf("no -cpu-of line, or no CPU per refresh, in:\n%s", out)
	}
	if !strings.Contains(out, "  store batches: refresh_token ") {
		t.Errorf("no -metrics line in:\n%s", out)
	}
	if !strings.Contains(out, "check-store: ") || !strings.Contains(out, "0 with other than one live token") {
		t.Errorf("no clean store check in:\n%s", out)
	}
}

// generationOf is the generation a named refresh token carries, or -1.
func generationOf(token string) int {
	_, rest, _ := strings.Cut(token, ".")
	gen, _, ok := strings.Cut(rest, ".")
	n, err := strconv.Atoi(gen)
	if !ok || err != nil {
		return -1
	}
	return n
}

// Grants written straight into the store are ones the server accepts, and
// the token file carries the driven chains from one invocation to the next.
func TestPrefillSQLite(t *testing.T) { testPrefill(t, startServer(t, "")) }

func TestPrefillPostgreSQL(t *testing.T) {
	testPrefill(t, startServer(t, pgtest.Schema(t, "tg_benchtool", nil)))
}

func testPrefill(t *testing.T, s *server) {
	tokens := filepath.Join(t.TempDir(), "bench.tokens")
	out, rs := s.bench(t, "-prefill", "-grants", "2500", "-drive", "20", "-tokens", tokens)
	if len(rs) != 0 || !strings.Contains(out, "prefill: wrote 2500 grants") {
		t.Fatalf("prefill alone ran %d runs:\n%s", len(rs), out)
	}
	before, err := readTokens(tokens)
	if err != nil || len(before) != 20 {
		t.Fatalf("token file: %d chains, %v", len(before), err)
	}
	if fi, err := os.Stat(tokens); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, %v: want 0600", fi.Mode(), err)
	}
	out, rs = s.bench(t, "-tokens", tokens, "-c", "4", "-retry-every", "5", "-check-store")
	clean(t, out, rs, 1)
	after, err := readTokens(tokens)
	if err != nil || len(after) != 20 {
		t.Fatalf("token file after the run: %d chains, %v", len(after), err)
	}
	// The file holds each chain's live token, rotated or not: how many
	// chains a worker got round to in a one-second run depends on the
	// machine, so only one moving at all is asked for.
	moved := 0
	for i := range after {
		if after[i].token != before[i].token {
			moved++
		}
		rt, _, err := s.app.Store.RefreshToken(context.Background(), grantOf(after[i].token), mint.HashToken(after[i].token))
		if err != nil || rt.Consumed() {
			t.Errorf("chain %d: the token file holds a token that is not live in the store (%v, consumed %v)", i, err, rt.Consumed())
		}
	}
	if moved == 0 {
		t.Errorf("no chain in the token file moved on from its prefilled token:\n%s", out)
	}
	// A chain revoked behind the tool's back has no live token: the store
	// check counts it as a broken rule.
	if _, err := s.app.Store.RevokeGrant(context.Background(), grantOf(after[0].token), time.Now(), store.Event{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(s.config)
	if err != nil {
		t.Fatal(err)
	}
	if bad, checked, err := checkStore(context.Background(), cfg, after); err != nil || bad != 1 || checked != 20 {
		t.Errorf("store check after revoking one grant: %d bad of %d, %v; want 1 of 20", bad, checked, err)
	}
}

// With -dpop, against a real server: grants prefilled bound to the key
// file's key, and grants signed in by the password grant with a proof,
// refresh with proofs, answer token_type DPoP, and keep every rule; the
// key file is made 0600 and read again by the next invocation; and the
// prefilled grants really are bound: without proofs they are refused.
func TestDPoPAgainstARealServer(t *testing.T) {
	s := startServer(t, "")
	dir := t.TempDir()
	key, tokens := filepath.Join(dir, "dpop.pem"), filepath.Join(dir, "bench.tokens")
	if _, rs := s.bench(t, "-prefill", "-grants", "300", "-drive", "8", "-tokens", tokens, "-dpop", key); len(rs) != 0 {
		t.Fatalf("prefill alone ran %d runs", len(rs))
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	out, rs := s.bench(t, "-tokens", tokens, "-c", "4", "-retry-every", "3", "-check-store", "-dpop", key)
	clean(t, out, rs, 1)

	signed := filepath.Join(dir, "signed.tokens")
	out, rs = s.bench(t, "-password", benchPassword, "-grants", "4", "-c", "2", "-tokens", signed, "-dpop", key)
	clean(t, out, rs, 1)

	// The same chains without proofs: every refresh refused.
	jsonPath := filepath.Join(dir, "bare.jsonl")
	var bare, errw strings.Builder
	err := run(context.Background(), []string{"-url", s.url, "-secret", benchSecret, "-tokens", tokens, "-c", "4",
		"-d", "300ms", "-warmup", "0", "-json", jsonPath}, &bare, &errw)
	if err != nil || !strings.Contains(bare.String(), " 0 refreshes/s (0)") || !strings.Contains(bare.String(), "\n  errors: HTTP 400 invalid_grant: 8\n") {
		t.Errorf("bound grants without proofs: %v\n%s%s", err, bare.String(), errw.String())
	}
}

// With -auth private_key_jwt, against a real server: a client of the
// HelseID profile (private_key_jwt only, DPoP-bound refresh tokens) is
// driven with an assertion and a proof in every request, keeps every rule,
// and revokes with assertions too; the same chains with a secret instead
// are refused invalid_client. The key file is made 0600, and its public
// key is printed for the client's jwks.
func TestPrivateKeyJWTAgainstARealServer(t *testing.T) {
	dir := t.TempDir()
	keyPath, dpopKey, tokens := filepath.Join(dir, "client.pem"), filepath.Join(dir, "dpop.pem"), filepath.Join(dir, "bench.tokens")
	var made strings.Builder
	a, err := loadAsserter(keyPath, "hid", &made)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(made.String(), a.jwk) {
		t.Fatalf("key file: %v, %v; printed %q; want mode 0600 and the public jwk printed", fi, err, made.String())
	}
	s := startServerWith(t, "", fmt.Sprintf(`  - id: hid
    profile: helseid
    jwks: {"keys": [%s]}
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [https://client.example/cb]
    scopes: [openid, offline_access]
    allow_offline_access: true
`, a.jwk))
	if _, rs := s.bench(t, "-client", "hid", "-prefill", "-grants", "100", "-drive", "8", "-tokens", tokens, "-dpop", dpopKey); len(rs) != 0 {
		t.Fatalf("prefill alone ran %d runs", len(rs))
	}
	out, rs := s.bench(t, "-client", "hid", "-auth", "private_key_jwt", "-assertion-key", keyPath, "-dpop", dpopKey,
		"-tokens", tokens, "-c", "4", "-retry-every", "3", "-revoke-every", "7", "-warmup", "0", "-check-store")
	clean(t, out, rs, 1)
	if rs[0].Revokes == 0 {
		t.Errorf("no revocation in the run:\n%s", out)
	}

	// The same client with a secret it does not have: every refresh refused.
	var bare, errw strings.Builder
	err = run(context.Background(), []string{"-url", s.url, "-client", "hid", "-secret", benchSecret, "-dpop", dpopKey,
		"-tokens", tokens, "-c", "2", "-d", "300ms", "-warmup", "0"}, &bare, &errw)
	if err != nil || !strings.Contains(bare.String(), " 0 refreshes/s (0)") || !strings.Contains(bare.String(), "invalid_client") {
		t.Errorf("the client without its assertion: %v\n%s%s", err, bare.String(), errw.String())
	}
}
