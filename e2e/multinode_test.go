package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/mint"
)

// newTestCluster starts three nodes on a PostgreSQL database of the test's own.
func newTestCluster(t *testing.T, o clusterOptions) (*cluster, *clusterDB) {
	t.Helper()
	db := newClusterDB(t, adminDSN(t))
	o.storage = db.storage
	if o.nodes == 0 {
		o.nodes = 3
	}
	return newCluster(t, o), db
}

// pinnedTransport sends every request through the load balancer to one node,
// and checks that node answered.
type pinnedTransport struct {
	t    *testing.T
	node string
}

func (p pinnedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(headerPinNode, p.node)
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && res.Header.Get(headerServedBy) != p.node {
		p.t.Errorf("%s %s pinned to node %s was served by %q", r.Method, r.URL.Path, p.node, res.Header.Get(headerServedBy))
	}
	return res, err
}

// onNode is a context whose HTTP client (for x/oauth2 and go-oidc) reaches
// only that node.
func onNode(t *testing.T, node string) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient,
		&http.Client{Timeout: 30 * time.Second, Transport: pinnedTransport{t: t, node: node}})
}

// TestMultiNodeSameDiscoveryAndJWKS: discovery, RFC 8414 metadata and the
// JWKS are byte for byte the same on every node. The nodes started at once,
// so they agreed on one set of signing keys through the store.
func TestMultiNodeSameDiscoveryAndJWKS(t *testing.T) {
	c, _ := newTestCluster(t, clusterOptions{})
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
		"/.well-known/openid-configuration/jwks"} {
		var first answer
		for i, n := range c.nodes {
			a := c.get(n.name, path)
			if a.err != nil || a.status != http.StatusOK || a.node != n.name {
				t.Fatalf("GET %s on node %s: %v", path, n.name, a)
			}
			if i == 0 {
				first = a
				continue
			}
			if !bytes.Equal([]byte(a.raw), []byte(first.raw)) {
				t.Errorf("GET %s: node %s serves\n%s\nnode %s serves\n%s", path, first.node, first.raw, a.node, a.raw)
			}
		}
		if path == "/.well-known/openid-configuration/jwks" {
			var set struct {
				Keys []struct {
					Kid string `json:"kid"`
				} `json:"keys"`
			}
			if err := json.Unmarshal([]byte(first.raw), &set); err != nil || len(set.Keys) == 0 {
				t.Errorf("JWKS %s: %v", first.raw, err)
			}
		}
	}
}

// TestMultiNodeRefreshOnAnotherNode: x/oauth2 signs in on node A and
// refreshes on node B; go-oidc verifies B's ID token against the discovery
// and JWKS of node C.
func TestMultiNodeRefreshOnAnotherNode(t *testing.T) {
	c, _ := newTestCluster(t, clusterOptions{})
	conf := &oauth2.Config{ClientID: clusterClientID, ClientSecret: clusterSecret, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{TokenURL: c.issuer + "/connect/token", AuthStyle: oauth2.AuthStyleInHeader}}
	tok, err := conf.PasswordCredentialsToken(onNode(t, "A"), "alice", alicePW)
	if err != nil {
		t.Fatalf("password grant on node A: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("node A issued no refresh token")
	}
	tok.Expiry = time.Now().Add(-time.Minute) // make x/oauth2 refresh
	next, err := conf.TokenSource(onNode(t, "B"), tok).Token()
	if err != nil {
		t.Fatalf("node B refused node A's refresh token: %v", err)
	}
	if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken {
		t.Fatal("node B did not rotate the refresh token")
	}
	provider, err := oidc.NewProvider(onNode(t, "C"), c.issuer)
	if err != nil {
		t.Fatalf("discovery on node C: %v", err)
	}
	raw, _ := next.Extra("id_token").(string)
	id, err := provider.Verifier(&oidc.Config{ClientID: clusterClientID}).Verify(onNode(t, "C"), raw)
	if err != nil {
		t.Fatalf("node B's ID token against node C's JWKS: %v", err)
	}
	if id.Subject != "sub-alice" {
		t.Fatalf("ID token subject %q", id.Subject)
	}
}

// TestMultiNodeConcurrentRefresh: 64 presentations of one refresh token at
// once, each on its own connection, spread over the three nodes, yield one
// successor: every caller gets that value or invalid_grant, and the store
// holds one new token, live, with the presented one consumed beside it.
func TestMultiNodeConcurrentRefresh(t *testing.T) {
	c, db := newTestCluster(t, clusterOptions{})
	first := c.signIn("A")
	rt := first.str("refresh_token")
	if first.status != http.StatusOK || rt == "" {
		t.Fatalf("password grant: %v", first)
	}
	grantID := db.grantOf(mint.HashToken(rt))

	const callers = 64
	answers := make([]answer, callers)
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	for i := range callers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			// Its own client and connection: a fresh transport per caller.
			own := c.ownConnection()
			ready.Done()
			<-gate
			answers[i] = own.refresh(c.nodes[i%len(c.nodes)].name, rt)
		}()
	}
	ready.Wait()
	close(gate)
	done.Wait()

	successors := map[string]int{}
	perNode := map[string]int{}
	refused := 0
	for i, a := range answers {
		switch {
		case a.err == nil && a.status == http.StatusOK && a.str("refresh_token") != "":
			successors[a.str("refresh_token")]++
			perNode[a.node]++
		case a.oauthError(http.StatusBadRequest, "invalid_grant"):
			refused++
		default:
			t.Errorf("caller %d: %v; want 200 with the successor or 400 invalid_grant", i, a)
		}
	}
	if len(successors) != 1 {
		t.Fatalf("%d distinct successors handed out (%d refused), want exactly one", len(successors), refused)
	}
	t.Logf("%d callers got the successor (per node %v), %d got invalid_grant", callers-refused, perNode, refused)

	rows, live, newest := db.tokenRows(grantID)
	if rows != 2 || live != 1 || newest != 1 {
		t.Errorf("after the race the grant has %d token rows, %d live, newest generation %d; want 2 rows (the consumed one and its one successor), 1 live, generation 1",
			rows, live, newest)
	}
	// The race was a retry storm within reuse_grace, not theft: the grant
	// lives on, and the successor works on any node.
	if db.revoked(grantID) {
		t.Fatal("the race revoked the grant")
	}
	var succ string
	for s := range successors {
		succ = s
	}
	if a := c.refresh("C", succ); a.status != http.StatusOK {
		t.Fatalf("the successor on node C: %v", a)
	}
}

// TestMultiNodeRetryWithinGraceOnAnotherNode: a client whose answer from
// node A was lost retries on node B within reuse_grace and gets the very
// successor A made; once that successor is used (on C), presenting the old
// token again is reuse, detected on A, and revokes the grant everywhere.
func TestMultiNodeRetryWithinGraceOnAnotherNode(t *testing.T) {
	c, db := newTestCluster(t, clusterOptions{})
	rt0 := c.signIn("A").str("refresh_token")
	lost := c.refresh("A", rt0)
	if lost.status != http.StatusOK || lost.str("refresh_token") == "" {
		t.Fatalf("refresh on A: %v", lost)
	}
	retry := c.refresh("B", rt0)
	if retry.status != http.StatusOK || retry.str("refresh_token") != lost.str("refresh_token") {
		t.Fatalf("the retry on B got %v; want the successor A handed out", retry)
	}
	rt1 := retry.str("refresh_token")
	next := c.refresh("C", rt1)
	if next.status != http.StatusOK {
		t.Fatalf("the successor on C: %v", next)
	}
	grantID := db.grantOf(mint.HashToken(rt1))
	if db.revoked(grantID) {
		t.Fatal("a retry within grace revoked the grant")
	}
	// RFC 9700 §4.14.2: rt0's successor is used; rt0 again is reuse.
	if a := c.refresh("A", rt0); !a.oauthError(http.StatusBadRequest, "invalid_grant") {
		t.Fatalf("reuse of a consumed token whose successor was used, on A: %v", a)
	}
	if !db.revoked(grantID) {
		t.Fatal("reuse on A did not revoke the grant")
	}
	if a := c.refresh("B", next.str("refresh_token")); !a.oauthError(http.StatusBadRequest, "invalid_grant") {
		t.Fatalf("the newest token on B after reuse was detected on A: %v", a)
	}
}

// TestMultiNodeRevocationIsImmediate: a grant that nodes A and B have both
// just served is revoked through node C (RFC 7009); the very next request on
// A and on B is refused, and introspection on both says inactive.
func TestMultiNodeRevocationIsImmediate(t *testing.T) {
	c, _ := newTestCluster(t, clusterOptions{})
	rt0 := c.signIn("A").str("refresh_token")
	a1 := c.refresh("B", rt0)
	a2 := c.refresh("A", a1.str("refresh_token"))
	if a1.status != http.StatusOK || a2.status != http.StatusOK {
		t.Fatalf("refresh on B then A: %v / %v", a1, a2)
	}
	rt2 := a2.str("refresh_token")
	if in := c.introspect("B", rt2); in.status != http.StatusOK || in.body["active"] != true {
		t.Fatalf("introspection on B before revocation: %v", in)
	}
	if r := c.revoke("C", rt2); r.err != nil || r.status != http.StatusOK {
		t.Fatalf("revocation on C: %v", r)
	}
	for _, n := range []string{"A", "B"} {
		if a := c.refresh(n, rt2); !a.oauthError(http.StatusBadRequest, "invalid_grant") {
			t.Errorf("node %s's next refresh after revocation on C: %v", n, a)
		}
		// A retry of the token before, within grace, is refused too.
		if a := c.refresh(n, a1.str("refresh_token")); !a.oauthError(http.StatusBadRequest, "invalid_grant") {
			t.Errorf("node %s: retry within grace after revocation: %v", n, a)
		}
		if in := c.introspect(n, rt2); in.status != http.StatusOK || in.body["active"] != false {
			t.Errorf("introspection on %s after revocation on C: %v", n, in)
		}
	}
}
