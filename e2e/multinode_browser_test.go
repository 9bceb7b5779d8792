package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestMultiNodeBrowserSignIn: a person signs in with headless Chromium while
// the load balancer spreads the sign-in over the nodes: the authorization
// request is parked by node C, the login form is posted to node A, the
// consent form to node B. The flow completes, and the code it yields is
// redeemed and refreshed on whatever node the balancer picks.
func TestMultiNodeBrowserSignIn(t *testing.T) {
	adminDSN(t) // skip before starting Chromium
	ctx := chromium(t)
	c, _ := newTestCluster(t, clusterOptions{})
	var mu sync.Mutex
	servedBy := map[string]string{} // "POST /account/login" -> the node the route chose
	c.route(func(r *http.Request) string {
		node := ""
		switch {
		case r.URL.Path == "/connect/authorize":
			node = "C"
		case r.Method == http.MethodPost && r.URL.Path == "/account/login":
			node = "A"
		case r.Method == http.MethodPost && r.URL.Path == "/account/consent":
			node = "B"
		default:
			return "" // round robin
		}
		mu.Lock()
		servedBy[r.Method+" "+r.URL.Path] = node
		mu.Unlock()
		return node
	})

	conf := &oauth2.Config{ClientID: clusterRPID, ClientSecret: secretApp, RedirectURL: c.rp.callback(),
		Scopes: []string{"openid", "profile", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: c.issuer + "/connect/authorize", TokenURL: c.issuer + "/connect/token",
			AuthStyle: oauth2.AuthStyleInHeader}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-multi", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-multi"))
	loc, err := signInWithChromium(ctx, authURL, c.rp.callback())
	if err != nil {
		t.Fatalf("browser flow across nodes: %v (at %s)", err, loc)
	}
	mu.Lock()
	for _, step := range []string{"GET /connect/authorize", "POST /account/login", "POST /account/consent"} {
		if servedBy[step] == "" {
			t.Errorf("the browser never sent %s through the balancer (saw %v)", step, servedBy)
		}
	}
	mu.Unlock()
	u, err := parseURL(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("state") != "st-multi" || q.Get("iss") != c.issuer || q.Get("code") == "" {
		t.Fatalf("callback %s", loc)
	}
	bg, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := conf.Exchange(bg, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	provider, err := oidc.NewProvider(onNode(t, "A"), c.issuer)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := provider.Verifier(&oidc.Config{ClientID: clusterRPID}).Verify(onNode(t, "A"), raw)
	if err != nil || id.Nonce != "n-multi" || id.Subject != "sub-alice" {
		t.Fatalf("ID token: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token after consenting to offline access")
	}
	tok.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(bg, tok).Token(); err != nil {
		t.Fatalf("refresh: %v", err)
	}
}
