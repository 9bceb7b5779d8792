package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The fault test's store settings, and how long an answer may take while
// the database is away: the statement timeout, plus slack for a loaded
// 2-core machine. An answer later than that counts as a hang.
const (
	faultStatementTimeout = 2 * time.Second
	faultAnswerWithin     = faultStatementTimeout + 3*time.Second
	// Liveness touches no store, so it must answer in less than the
	// statement timeout even while the database hangs; the margin below it
	// is for the probes' argon2id password grants and the race detector on
	// two cores (a CI run once saw /healthz take 1.023 s under a 1 s bound).
	faultLivenessWithin = faultStatementTimeout * 3 / 4
	faultChains         = 12
	faultWorkers        = 4
)

// unavailableProblem says what is wrong with a as the answer of an endpoint
// whose store is away: RFC 6749 §5.2 has no code for it, so Tollgate uses
// temporarily_unavailable (§4.1.2.1) with 503 and Retry-After (RFC 9110
// §10.2.3), within the statement timeout. "" when it is right.
func unavailableProblem(a answer) string {
	switch {
	case a.err != nil:
		return a.String()
	case a.status != http.StatusServiceUnavailable || a.str("error") != "temporarily_unavailable" || a.str("error_description") == "":
		return fmt.Sprintf("%v; want 503 temporarily_unavailable with a description", a)
	case a.took > faultAnswerWithin:
		return fmt.Sprintf("answered after %v, more than %v: %v", a.took, faultAnswerWithin, a)
	}
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 1 {
		return fmt.Sprintf("Retry-After %q, want whole seconds: %v", a.header.Get("Retry-After"), a)
	}
	return ""
}

// TestClusterDatabaseDown: three nodes under a refresh load, on a
// PostgreSQL server of the test's own, which first hangs (every process
// SIGSTOPped: unreachable, nothing refused) and then stops outright. While
// it is away, token (refresh and password grants), revocation and
// introspection answer 503 temporarily_unavailable with Retry-After within
// the statement timeout, never 500 and never a hang; a browser page says to
// try again shortly; /readyz is 503 and /healthz 200; and no refresh is
// answered 200. When it is back the nodes recover with no restart, the
// clients retry with the same refresh tokens and succeed, and the store
// holds exactly the tokens the clients hold: nothing half-committed.
func TestClusterDatabaseDown(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and starts a PostgreSQL server under load")
	}
	adminDSN(t) // skips or fails like every PostgreSQL test
	pg := startOwnPostgres(t)
	db := newClusterDB(t, pg.dsn)
	c := newCluster(t, clusterOptions{nodes: 3, storage: db.storage, extra: fmt.Sprintf(
		"storage_options:\n  statement_timeout: %s\n  connect_timeout: %s\n", faultStatementTimeout, faultStatementTimeout)})
	t.Cleanup(pg.restore) // first of the cleanups: the others need the server
	chains := signInChains(t, c, faultChains)
	// Refreshed, revoked and introspected while the database is away. A
	// statement the hung server had read commits when it runs again, though
	// the node answered 503: so the revocation gets a grant of its own, and
	// the refresh is retried within reuse_grace.
	victim := c.signIn("A").str("refresh_token")
	doomed := c.signIn("B").str("refresh_token")
	peek := c.signIn("C").str("refresh_token")
	if victim == "" || doomed == "" || peek == "" {
		t.Fatal("password grants before the fault failed")
	}

	var bad, slowest atomic.Int64 // slowest 503 under load, in ms
	load := startRefreshLoad(c, chains, faultWorkers, func(a answer) bool {
		for ms := a.took.Milliseconds(); ms > slowest.Load(); {
			if slowest.CompareAndSwap(slowest.Load(), ms) {
				break
			}
		}
		if p := unavailableProblem(a); p != "" {
			if bad.Add(1) <= 3 {
				t.Errorf("a refresh under load while the database is away: %s", p)
			}
		}
		return true
	})
	load.waitAnswered("before the fault", 60, 30*time.Second)

	for _, fault := range []struct {
		name       string
		away, back func()
	}{
		{"hangs", pg.freeze, pg.thaw},
		{"stops", pg.stop, pg.start},
	} {
		base503 := load.refused503.Load()
		fault.away()
		waitFor(t, "503s under load while the database "+fault.name, 20*time.Second, func() bool {
			return load.refused503.Load()-base503 >= faultWorkers
		})
		answered := load.answered.Load() // from here on no refresh can have committed
		checkAway(t, c, fault.name, victim, doomed, peek)
		if n := load.answered.Load() - answered; n != 0 {
			t.Errorf("%d refreshes answered 200 while the database %s", n, fault.name)
		}
		fault.back()
		for _, n := range c.nodes {
			waitFor(t, "node "+n.name+"'s /readyz after the database came back", 30*time.Second, func() bool {
				return c.get(n.name, "/readyz").status == http.StatusOK
			})
		}
		load.waitAnswered("after the database came back", 60, 30*time.Second)
		t.Logf("database %s: %d 503s under load, the slowest after %d ms", fault.name, load.refused503.Load()-base503, slowest.Swap(0))
	}

	// The client that saw 503 for its refresh retries with the same token.
	again := c.refresh("C", victim)
	if again.status != http.StatusOK || again.str("refresh_token") == "" {
		t.Fatalf("the retry of a refresh answered 503: %v", again)
	}
	victim = again.str("refresh_token")
	if in := c.introspect("A", peek); in.status != http.StatusOK || in.body["active"] != true {
		t.Errorf("introspection after recovery: %v", in)
	}
	if r := c.refresh("A", victim); r.status != http.StatusOK {
		t.Fatalf("the successor of the retried refresh: %v", r)
	}
	// The client that saw 503 for its revocation sends it again.
	if r := c.revoke("A", doomed); r.status != http.StatusOK {
		t.Fatalf("revocation after recovery: %v", r)
	}
	if r := c.refresh("B", doomed); !r.oauthError(http.StatusBadRequest, "invalid_grant") {
		t.Fatalf("refresh after a revocation made once the database came back: %v", r)
	}
	load.halt()
	if t.Failed() {
		t.FailNow()
	}
	checkChainsContinue(t, c, db, chains, 3, "A", "B", "C") // and victim, doomed, peek
}

// checkAway asks every node, with the database away, for what needs it,
// all at once (each answer may take the statement timeout).
func checkAway(t *testing.T, c *cluster, fault, victim, doomed, peek string) {
	t.Helper()
	conf := &oauth2.Config{ClientID: clusterRPID, RedirectURL: c.rp.callback(), Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: c.issuer + "/connect/authorize"}}
	authURL := strings.TrimPrefix(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), c.issuer)
	page := func(a answer) string {
		if a.err != nil || a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" ||
			!strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || a.took > faultAnswerWithin {
			return fmt.Sprintf("%v; want a 503 page with Retry-After within %v", a, faultAnswerWithin)
		}
		return ""
	}
	status := func(want int, within time.Duration) func(answer) string {
		return func(a answer) string {
			if a.err != nil || a.status != want || a.took > within {
				return fmt.Sprintf("%v; want %d within %v", a, want, within)
			}
			return ""
		}
	}
	type probe struct {
		what  string
		ask   func(node string) answer
		judge func(answer) string
	}
	probes := []probe{
		{"refresh", func(n string) answer { return c.refresh(n, victim) }, unavailableProblem},
		{"password grant", c.password, unavailableProblem},
		{"revocation", func(n string) answer { return c.revoke(n, doomed) }, unavailableProblem},
		{"introspection", func(n string) answer { return c.introspect(n, peek) }, unavailableProblem},
		{"the authorization page", func(n string) answer { return c.get(n, authURL) }, page},
		{"/readyz", func(n string) answer { return c.get(n, "/readyz") }, status(http.StatusServiceUnavailable, faultAnswerWithin)},
		{"/healthz (liveness)", func(n string) answer { return c.get(n, "/healthz") }, status(http.StatusOK, faultLivenessWithin)},
	}
	var wg sync.WaitGroup
	problems := make(chan string, len(probes)*len(c.nodes))
	for _, n := range c.nodes {
		for _, p := range probes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if msg := p.judge(p.ask(n.name)); msg != "" {
					problems <- fmt.Sprintf("database %s, %s on node %s: %s", fault, p.what, n.name, msg)
				}
			}()
		}
	}
	wg.Wait()
	close(problems)
	for msg := range problems {
		t.Error(msg)
	}
}

// waitFor polls cond every 50 ms until it holds, or fails the test after d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if t.Failed() {
			t.FailNow()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
