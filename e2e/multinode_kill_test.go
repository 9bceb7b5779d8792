package e2e

import (
	"net/http"
	"testing"
	"time"
)

// Sizes of the multi-node kill -9 test: small enough for a 2-core machine,
// with enough load that requests are in flight on the node that dies.
const (
	killChains  = 30
	killWorkers = 6
	killAnswers = 150 // answered refreshes before the kill, and again after it
)

// TestMultiNodeKillOneNode: three nodes carry a refresh load of 30 chains
// when node B is killed with SIGKILL. Requests in flight on B get no answer
// (the balancer's 502) and are retried on A and C with the same token; one
// answer B gave just before it died is thrown away, as if the balancer lost
// it. No chain is lost: the load goes on over A and C; the retry of the lost
// answer gets, from the grace window, the very successor B made; every chain
// continues on A and C with its latest token, or with its retry; and once B
// is restarted it serves every chain, while the store holds exactly the
// tokens the clients hold and no grant was revoked.
func TestMultiNodeKillOneNode(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 of a cluster node under load")
	}
	c, db := newTestCluster(t, clusterOptions{})
	chains := signInChains(t, c, killChains)
	swallowed := chains[0] // the main goroutine drives it; the workers get the others
	load := startRefreshLoad(c, chains[1:], killWorkers, nil)
	load.waitAnswered("before the kill", killAnswers, 60*time.Second)

	lostAnswer := c.refresh("B", swallowed.cur)
	if lostAnswer.status != http.StatusOK || lostAnswer.str("refresh_token") == "" {
		t.Fatalf("refresh on B before the kill: %v", lostAnswer)
	}
	swallowed.pending = true
	c.kill(c.node("B"))
	killedAt := load.answered.Load()

	retry := c.refresh("", swallowed.cur)
	if retry.status != http.StatusOK || retry.str("refresh_token") != lostAnswer.str("refresh_token") || retry.node == "B" {
		t.Fatalf("the retry of the answer B's death swallowed got %v; want B's successor from A or C", retry)
	}
	swallowed.prev, swallowed.cur, swallowed.pending = swallowed.cur, retry.str("refresh_token"), false

	load.waitAnswered("after the kill, on A and C", killAnswers, 60*time.Second)
	load.halt()
	if t.Failed() {
		t.FailNow()
	}
	pending := 0
	for _, ch := range chains {
		if ch.pending {
			pending++
		}
	}
	t.Logf("%d refreshes answered (%d after the kill), %d requests without an answer, %d chains ended the load unanswered; node B served %d",
		load.answered.Load(), load.answered.Load()-killedAt, load.unanswered.Load(), pending, c.proxy.served["B"].Load())

	checkChainsContinue(t, c, db, chains, 0, "A", "C")

	// B comes back (a restart, or an upgrade) and takes its share again.
	if err := c.start(c.node("B")); err != nil {
		t.Fatal(err)
	}
	for i, ch := range chains {
		r := c.refresh("B", ch.cur)
		if r.status != http.StatusOK || r.str("refresh_token") == "" {
			t.Fatalf("chain %d on the restarted node B: %v", i, r)
		}
		ch.prev, ch.cur = ch.cur, r.str("refresh_token")
	}
	checkStoreHoldsChains(t, c, db, chains, 0)
}
