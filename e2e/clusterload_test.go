package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
)

// loadChain is one client's refresh-token chain under load.
type loadChain struct {
	cur     string // the latest token the client read a 200 for
	prev    string // the token cur replaced
	pending bool   // the last request with cur got no answer, or a 503: the client retries cur
}

// refreshLoad is a bounded refresh load through the load balancer: each
// worker owns every workers-th chain and refreshes them in turn, one request
// in flight per chain, until stopped. A client keeps a token only once it
// has read the 200 that carries it; a request without an answer (the
// balancer's 502 for a node that died under it) or with a 503 is retried
// with the same token, as a real client would.
type refreshLoad struct {
	c      *cluster
	chains []*loadChain
	// unavailable, when set, judges each 503 (a store that is down); it
	// returns false to stop the worker. Without it a 503 fails the test.
	unavailable func(answer) bool

	answered, unanswered, refused503 atomic.Int64
	stop                             chan struct{}
	wg                               sync.WaitGroup
	stopOnce                         sync.Once
}

// signInChains makes n chains with password grants through the balancer.
func signInChains(t *testing.T, c *cluster, n int) []*loadChain {
	t.Helper()
	chains := make([]*loadChain, n)
	errs := make(chan string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2) // a password grant costs an argon2id hash
	for i := range chains {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			a := c.signIn("")
			if a.err != nil || a.status != http.StatusOK || a.str("refresh_token") == "" {
				errs <- fmt.Sprintf("password grant for chain %d: %v", i, a)
				return
			}
			chains[i] = &loadChain{cur: a.str("refresh_token")}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	return chains
}

func startRefreshLoad(c *cluster, chains []*loadChain, workers int, unavailable func(answer) bool) *refreshLoad {
	l := &refreshLoad{c: c, chains: chains, unavailable: unavailable, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				for i := w; i < len(chains); i += workers {
					select {
					case <-l.stop:
						return
					default:
					}
					if !l.advance(chains[i]) {
						return
					}
				}
			}
		}()
	}
	c.t.Cleanup(l.halt) // on a failure, before the nodes are killed
	return l
}

// advance presents the chain's token once; false stops the worker.
func (l *refreshLoad) advance(ch *loadChain) bool {
	a := l.c.refresh("", ch.cur)
	switch {
	case a.err != nil || a.status == http.StatusBadGateway:
		ch.pending = true // the node may or may not have rotated
		l.unanswered.Add(1)
		time.Sleep(20 * time.Millisecond)
	case a.status == http.StatusServiceUnavailable && l.unavailable != nil:
		ch.pending = true
		l.refused503.Add(1)
		if !l.unavailable(a) {
			return false
		}
		time.Sleep(50 * time.Millisecond) // Retry-After is in seconds; the test does not wait that long
	case a.status == http.StatusOK && a.str("refresh_token") != "" && a.str("refresh_token") != ch.cur:
		ch.prev, ch.cur, ch.pending = ch.cur, a.str("refresh_token"), false
		l.answered.Add(1)
	default:
		l.c.t.Errorf("refresh under load (retry of an unanswered request: %v): %v", ch.pending, a)
		return false
	}
	return true
}

// waitAnswered waits until n more refreshes were answered, within d.
func (l *refreshLoad) waitAnswered(what string, n int64, d time.Duration) {
	t := l.c.t
	t.Helper()
	base, deadline := l.answered.Load(), time.Now().Add(d)
	for l.answered.Load()-base < n && time.Now().Before(deadline) && !t.Failed() {
		time.Sleep(5 * time.Millisecond)
	}
	if t.Failed() {
		t.FailNow()
	}
	if got := l.answered.Load() - base; got < n {
		t.Fatalf("%s: only %d refreshes answered in %v, want %d", what, got, d, n)
	}
}

// halt stops the load and waits for the workers.
func (l *refreshLoad) halt() { l.stopOnce.Do(func() { close(l.stop); l.wg.Wait() }) }

// checkChainsContinue: after the load, every chain continues on the given
// nodes. A chain whose last request had no answer retries its token on two
// nodes and gets one successor both times; a chain whose last request was
// answered presents the token before its latest again (within reuse_grace)
// and gets the latest, then refreshes with the latest. Then the store holds
// what the clients hold (checkStoreHoldsChains, with others grants made
// outside the chains): reuse detection never
// mistook a retry for theft.
func checkChainsContinue(t *testing.T, c *cluster, db *clusterDB, chains []*loadChain, others int, nodes ...string) {
	t.Helper()
	k := 0
	next := func() string { k++; return nodes[k%len(nodes)] }
	for i, ch := range chains {
		if ch.pending {
			a, b := c.refresh(next(), ch.cur), c.refresh(next(), ch.cur)
			if a.status != http.StatusOK || b.status != http.StatusOK || a.str("refresh_token") != b.str("refresh_token") {
				t.Fatalf("chain %d: its unanswered token retried on two nodes got %v / %v, want one successor both times", i, a, b)
			}
			ch.prev, ch.cur, ch.pending = ch.cur, a.str("refresh_token"), false
		} else if ch.prev != "" {
			if r := c.refresh(next(), ch.prev); r.status != http.StatusOK || r.str("refresh_token") != ch.cur {
				t.Fatalf("chain %d: the token before the latest, retried within reuse_grace, got %v, want the latest again", i, r)
			}
		}
		r := c.refresh(next(), ch.cur)
		if r.status != http.StatusOK || r.str("refresh_token") == "" || r.str("refresh_token") == ch.cur {
			t.Fatalf("chain %d: the latest token got %v, want a new token", i, r)
		}
		ch.prev, ch.cur = ch.cur, r.str("refresh_token")
	}
	checkStoreHoldsChains(t, c, db, chains, others)
}

// checkStoreHoldsChains: the store holds, per chain, exactly the live token
// its client holds, in a grant that is not revoked; no grant has two live
// tokens; the store has one grant per chain and others more (grants the test
// made outside the chains); and no node logged reuse.
func checkStoreHoldsChains(t *testing.T, c *cluster, db *clusterDB, chains []*loadChain, others int) {
	t.Helper()
	for i, ch := range chains {
		hash := mint.HashToken(ch.cur)
		grantID := db.grantOf(hash)
		if db.revoked(grantID) {
			t.Errorf("chain %d: its grant was revoked: reuse detection fired on a retry", i)
		}
		if live := db.liveTokens(grantID); len(live) != 1 || live[0] != hash {
			t.Errorf("chain %d: %d live refresh tokens in its grant, want exactly the one its client holds", i, len(live))
		}
	}
	if n := db.count(`SELECT COUNT(*) FROM grants`); n != len(chains)+others {
		t.Errorf("%d grants in the store, want %d (one per chain) and %d more", n, len(chains), others)
	}
	if n := db.count(`SELECT COUNT(*) FROM (SELECT grant_id FROM refresh_tokens WHERE consumed_at IS NULL
		GROUP BY grant_id HAVING COUNT(*) > 1) AS twice`); n != 0 {
		t.Errorf("%d grants have two or more live refresh tokens", n)
	}
	for _, n := range c.nodes {
		if log := c.logs(n); strings.Contains(log, "event=refresh_token_reuse") {
			t.Errorf("node %s logged reuse detection:\n%s", n.name, log)
		}
	}
}
