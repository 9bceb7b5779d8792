package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/notify"
)

// verify checks a compact JWS against the server's JWKS, with the typ it
// must carry, and returns its claims.
func verify(t *testing.T, raw, typ string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	h := jws.Signatures[0].Protected
	if h.ExtraHeaders["typ"] != typ {
		t.Errorf("typ = %v, want %s", h.ExtraHeaders["typ"], typ)
	}
	set := keySet().JWKS()
	k := set.Key(h.KeyID)
	if len(k) != 1 {
		t.Fatalf("kid %q is not in the JWKS", h.KeyID)
	}
	payload, err := jws.Verify(k[0])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// A grant revoked for theft: its client gets a SET (RFC 8417) pushed per
// RFC 8935 with the CAEP session-revoked event, and a back-channel logout
// token for the grant's session, both signed with the server's keys (the
// client's ID token algorithm), neither holding a token value.
func TestRevokedGrantIsPushedAndLoggedOut(t *testing.T) {
	rcv := newReceiver(t, map[string][]int{"/events": {http.StatusAccepted}, "/logout": {http.StatusOK}})
	f := newFixture(t, rcv, notify.Options{}, nil)
	f.run(t)
	r := f.revocation("sid-1")
	f.n.GrantRevoked(t.Context(), r)
	for range 2 {
		if out := f.next(t); out.Result != notify.Delivered || out.Attempts != 1 || out.ClientID != "rp" || out.GrantID != "grant-1" {
			t.Errorf("outcome %+v, want delivered at once", out)
		}
	}

	sets := rcv.requests("/events")
	if len(sets) != 1 || sets[0].contentType != "application/secevent+jwt" || sets[0].accept != "application/json" {
		t.Fatalf("SET push: %+v", sets)
	}
	c := verify(t, sets[0].body, "secevent+jwt")
	if c["iss"] != issuer || c["aud"] != "rp" || c["txn"] != "grant-1" || c["iat"] != float64(r.At.Unix()) || c["jti"] == "" {
		t.Errorf("SET claims: %v", c)
	}
	for _, absent := range []string{"sub", "exp", "nonce"} {
		if _, ok := c[absent]; ok {
			t.Errorf("SET has %s", absent)
		}
	}
	wantJSON(t, c["sub_id"], `{"format":"complex","user":{"format":"iss_sub","iss":"`+issuer+`","sub":"sub-alice"},"session":{"format":"opaque","id":"sid-1"}}`)
	ev, _ := c["events"].(map[string]any)
	sr, ok := ev[notify.EventSessionRevoked].(map[string]any)
	if len(ev) != 1 || !ok || sr["initiating_entity"] != "policy" || sr["event_timestamp"] != float64(r.At.Unix()) {
		t.Fatalf("events: %v", ev)
	}
	if why, _ := sr["reason_admin"].(map[string]any); !strings.Contains(why["en"].(string), "dpop_key_mismatch") {
		t.Errorf("reason_admin %v does not name the signal", why)
	}

	logouts := rcv.requests("/logout")
	if len(logouts) != 1 || logouts[0].contentType != "application/x-www-form-urlencoded" {
		t.Fatalf("logout: %+v", logouts)
	}
	form, err := url.ParseQuery(logouts[0].body)
	if err != nil || len(form) != 1 {
		t.Fatalf("logout form %q: %v", logouts[0].body, err)
	}
	lt := verify(t, form.Get("logout_token"), "logout+jwt")
	now := float64(f.clk.Now().Unix())
	if lt["iss"] != issuer || lt["aud"] != "rp" || lt["sub"] != "sub-alice" || lt["sid"] != "sid-1" ||
		lt["iat"] != now || lt["exp"] != now+notify.LogoutTokenLifetime.Seconds() || lt["jti"] == "" || lt["jti"] == c["jti"] {
		t.Errorf("logout token claims: %v", lt)
	}
	if _, ok := lt["nonce"]; ok {
		t.Error("logout token has a nonce (§2.4 forbids it)")
	}
	wantJSON(t, lt["events"], `{"`+notify.EventBackchannelLogout+`":{}}`)

	// RS256 by default; a client whose ID tokens are ES256 gets ES256.
	if alg := algOf(t, sets[0].body); alg != "RS256" {
		t.Errorf("SET alg %s, want the client's ID token alg RS256", alg)
	}
	logs := f.logs.String()
	for _, tok := range []string{sets[0].body, form.Get("logout_token")} {
		if strings.Contains(logs, tok) || strings.Contains(logs, tok[strings.LastIndexByte(tok, '.'):]) {
			t.Fatal("the log holds a token")
		}
	}
	if !strings.Contains(logs, "event=notify_delivered kind=security_event client_id=rp grant_id=grant-1 endpoint_host=127.0.0.1") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestSignedWithTheClientsIDTokenAlgorithm(t *testing.T) {
	rcv := newReceiver(t, map[string][]int{"/events": {http.StatusAccepted}})
	f := newFixture(t, rcv, notify.Options{}, func(c *config.Client) {
		c.IDTokenSignedResponseAlg, c.BackchannelLogoutURI = "ES256", ""
	})
	f.run(t)
	f.n.GrantRevoked(t.Context(), f.revocation(""))
	if out := f.next(t); out.Result != notify.Delivered || out.Kind != notify.KindSET {
		t.Fatalf("outcome %+v", out)
	}
	sets := rcv.requests("/events")
	if alg := algOf(t, sets[0].body); alg != "ES256" {
		t.Errorf("alg %s, want ES256", alg)
	}
	// No browser session: the subject is the user alone.
	wantJSON(t, verify(t, sets[0].body, "secevent+jwt")["sub_id"], `{"format":"iss_sub","iss":"`+issuer+`","sub":"sub-alice"}`)
}

func algOf(t *testing.T, raw string) string {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Protected.Algorithm
}

func wantJSON(t *testing.T, got any, want string) {
	t.Helper()
	b, _ := json.Marshal(got)
	var g, w any
	_ = json.Unmarshal(b, &g)
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("got %s, want %s", gb, wb)
	}
}

// A receiver that is down is retried with doubling waits, capped, until
// the attempts run out; each logout attempt is signed afresh (same jti, a
// current iat), so a late retry never carries an expired token.
func TestRetriesBackOffUpToTheCap(t *testing.T) {
	rcv := newReceiver(t, map[string][]int{"/logout": {http.StatusServiceUnavailable}})
	f := newFixture(t, rcv, notify.Options{MaxAttempts: 5, Backoff: time.Second, MaxBackoff: 3 * time.Second},
		func(c *config.Client) { c.SecurityEventPushURI = "" })
	f.run(t)
	f.n.GrantRevoked(t.Context(), f.revocation("sid-1"))
	out := f.next(t)
	if out.Result != notify.Failed || out.Attempts != 5 || out.Status != http.StatusServiceUnavailable || out.Kind != notify.KindLogout {
		t.Fatalf("outcome %+v, want failed after 5 attempts", out)
	}
	if w := f.clk.waited(); !slices.Equal(w, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}) {
		t.Fatalf("waits %v, want 1s 2s 3s 3s", w)
	}
	got := rcv.requests("/logout")
	if len(got) != 5 {
		t.Fatalf("%d attempts reached the receiver, want 5", len(got))
	}
	var jti any
	for i, g := range got {
		form, _ := url.ParseQuery(g.body)
		c := verify(t, form.Get("logout_token"), "logout+jwt")
		if i == 0 {
			jti = c["jti"]
		}
		if c["jti"] != jti {
			t.Errorf("attempt %d: jti %v, want the first attempt's %v", i+1, c["jti"], jti)
		}
		if i == 4 && c["iat"] != float64(f.clk.Now().Unix()) {
			t.Errorf("last attempt iat %v, want the time it was sent %d", c["iat"], f.clk.Now().Unix())
		}
	}
	if !strings.Contains(f.logs.String(), "event=notify_failed kind=backchannel_logout") {
		t.Errorf("log:\n%s", f.logs.String())
	}
}

// A receiver that recovers gets the message; one that answers 400 with an
// error (RFC 8935 §2.3) is not asked again; a redirect is not followed.
func TestRetryStopsAtAnAnswer(t *testing.T) {
	for _, c := range []struct {
		name     string
		answers  []int
		result   notify.Result
		attempts int
		errCode  string
	}{
		{"recovers", []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusAccepted}, notify.Delivered, 3, ""},
		{"refuses", []int{http.StatusBadRequest}, notify.Refused, 1, "invalid_audience"},
		{"unauthorized", []int{http.StatusUnauthorized}, notify.Refused, 1, "HTTP 401"},
		{"redirects", []int{http.StatusFound}, notify.Refused, 1, "HTTP 302"},
		{"200 is not 202", []int{http.StatusOK}, notify.Refused, 1, "HTTP 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rcv := newReceiver(t, map[string][]int{"/events": c.answers, "/elsewhere": {http.StatusAccepted}})
			f := newFixture(t, rcv, notify.Options{}, func(cl *config.Client) { cl.BackchannelLogoutURI = "" })
			f.run(t)
			f.n.GrantRevoked(t.Context(), f.revocation("sid-1"))
			out := f.next(t)
			if out.Result != c.result || out.Attempts != c.attempts || out.Error != c.errCode {
				t.Fatalf("outcome %+v, want %s after %d (%q)", out, c.result, c.attempts, c.errCode)
			}
			if n := len(rcv.requests("/events")); n != c.attempts {
				t.Fatalf("%d requests, want %d", n, c.attempts)
			}
			if len(rcv.requests("/elsewhere")) != 0 {
				t.Fatal("a redirect was followed")
			}
		})
	}
}

// An unreachable receiver is retried too.
func TestUnreachableIsRetried(t *testing.T) {
	rcv := newReceiver(t, nil)
	f := newFixture(t, rcv, notify.Options{MaxAttempts: 2}, func(c *config.Client) { c.BackchannelLogoutURI = "" })
	rcv.Close()
	f.run(t)
	f.n.GrantRevoked(t.Context(), f.revocation(""))
	if out := f.next(t); out.Result != notify.Failed || out.Attempts != 2 || out.Status != 0 || out.Error == "" {
		t.Fatalf("outcome %+v, want failed after 2 with a reason", out)
	}
}

// The queue is bounded: GrantRevoked never waits, a message past the
// bound is dropped and logged, and what is still queued at shutdown is
// reported abandoned.
func TestQueueIsBounded(t *testing.T) {
	rcv := newReceiver(t, map[string][]int{"/events": {http.StatusAccepted}})
	f := newFixture(t, rcv, notify.Options{QueueSize: 1}, func(c *config.Client) { c.BackchannelLogoutURI = "" })
	f.n.GrantRevoked(t.Context(), f.revocation(""))
	f.n.GrantRevoked(t.Context(), f.revocation("")) // no worker runs: the queue is full
	if out := f.next(t); out.Result != notify.Dropped || out.Attempts != 0 {
		t.Fatalf("outcome %+v, want dropped", out)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f.n.Run(ctx)
	if out := f.next(t); out.Result != notify.Abandoned {
		t.Fatalf("outcome %+v, want abandoned at shutdown", out)
	}
	if len(rcv.requests("/events")) != 0 {
		t.Fatal("delivered after shutdown")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "event=notify_dropped") || !strings.Contains(logs, "event=notify_abandoned") {
		t.Errorf("log:\n%s", logs)
	}
}

// backchannel_logout_session_required (§2.2): a grant without a browser
// session has no sid, so no logout token is sent; the SET still is.
func TestSessionRequiredNeedsASid(t *testing.T) {
	rcv := newReceiver(t, map[string][]int{"/events": {http.StatusAccepted}, "/logout": {http.StatusOK}})
	f := newFixture(t, rcv, notify.Options{}, func(c *config.Client) { c.BackchannelLogoutSessionRequired = true })
	f.run(t)
	f.n.GrantRevoked(t.Context(), f.revocation(""))
	if out := f.next(t); out.Kind != notify.KindSET || out.Result != notify.Delivered {
		t.Fatalf("outcome %+v", out)
	}
	select {
	case out := <-f.outcomes:
		t.Fatalf("unexpected outcome %+v", out)
	case <-time.After(100 * time.Millisecond):
	}
	if len(rcv.requests("/logout")) != 0 || !strings.Contains(f.logs.String(), "event=notify_skipped") {
		t.Fatal("a logout token without a sid was sent, or its skipping was not logged")
	}
}
