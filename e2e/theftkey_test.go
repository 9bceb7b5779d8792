package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// keyAssertion is a private_key_jwt assertion (RFC 7523 §3) by key kid.
func keyAssertion(t *testing.T, e *env, key *ecdsa.PrivateKey, kid, jti string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	s, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: "jwt", Subject: "jwt", Audience: jwt.Audience{e.tokenURL()}, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(30 * time.Second))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRetryByAnotherAssertionKeyIsTheft: client "jwt" has two keys in its
// JWKS, as during a key rollover, and one of them leaked with a refresh
// token. The client's own retry within the grace window (same key) gets
// the same successor; a presentation within the window authenticated by
// the other key is theft: the grant is revoked, the answer says so, the
// audit log names client_key_mismatch, and the client's receiver gets a
// SET that go-oidc verifies.
func TestRetryByAnotherAssertionKeyIsTheft(t *testing.T) {
	rp := newRPReceiver(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := startWith(t, func(c *config.Config) {
		for i := range c.Clients {
			if c.Clients[i].ID != "jwt" {
				continue
			}
			// k1 stays as the harness wrote it; k2 joins it.
			keys := append([]any(nil), c.Clients[i].JWKS["keys"].([]any)...)
			b, _ := json.Marshal(jose.JSONWebKey{Key: other.Public(), KeyID: "k2", Algorithm: "ES256", Use: "sig"})
			var k2 map[string]any
			_ = json.Unmarshal(b, &k2)
			c.Clients[i].JWKS = map[string]any{"keys": append(keys, k2)}
			c.Clients[i].SecurityEventPushURI = rp.URL + "/events"
		}
	})
	n := 0
	token := func(key *ecdsa.PrivateKey, kid string, form url.Values) response {
		n++
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", keyAssertion(t, e, key, kid, "jti-"+strconv.Itoa(n)))
		return e.post("/connect/token", form, "", "")
	}
	signIn := token(e.jwtKey, "k1", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW},
		"scope": {"openid offline_access"}})
	wantOK(t, signIn)
	consumed := signIn.str("refresh_token")
	refreshWith := func(key *ecdsa.PrivateKey, kid, rt string) response {
		return token(key, kid, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	first := refreshWith(e.jwtKey, "k1", consumed)
	wantOK(t, first)
	e.clk.Add(10 * time.Second)
	retry := refreshWith(e.jwtKey, "k1", consumed)
	wantOK(t, retry)
	if retry.str("refresh_token") != first.str("refresh_token") {
		t.Fatal("the client's own retry got another successor")
	}
	if rp.count() != 0 {
		t.Fatal("a retry was notified")
	}

	stolen := refreshWith(other, "k2", consumed)
	wantError(t, stolen, http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(stolen.str("error_description"), "did not prove the key") {
		t.Fatalf("description %q", stolen.str("error_description"))
	}
	wantError(t, refreshWith(e.jwtKey, "k1", first.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(e.logs.String(), "event=refresh_token_theft signal=client_key_mismatch") {
		t.Fatalf("log:\n%s", e.logs.String())
	}
	v := firstSET(t, e, rp, "jwt")
	var c struct {
		SubID  map[string]string                     `json:"sub_id"`
		Events map[string]map[string]json.RawMessage `json:"events"`
	}
	if err := v.Claims(&c); err != nil {
		t.Fatal(err)
	}
	ev := c.Events["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]
	if c.SubID["format"] != "iss_sub" || c.SubID["sub"] != "sub-alice" || !strings.Contains(string(ev["reason_admin"]), "client_key_mismatch") {
		t.Fatalf("SET claims: %+v", c)
	}
}

// TestBoundRetryWithAnotherDPoPKeyIsTheft: a DPoP-bound grant (go-jose
// proofs). The client's retry of the consumed token within the grace
// window, with its key, gets the same successor; the same consumed token
// presented within the window with a proof by another key (a thief who has
// the token and even the client's secret) is theft: the grant is revoked,
// the client's live token dies, the log names dpop_key_mismatch, and the
// client's receiver gets a SET.
func TestBoundRetryWithAnotherDPoPKeyIsTheft(t *testing.T) {
	rp := newRPReceiver(t)
	e := startWith(t, func(c *config.Config) { c.Clients[0].SecurityEventPushURI = rp.URL + "/events" })
	k := newDPoPKey(t, e)
	thief := newDPoPKey(t, e)
	signIn := k.token(passwordForm(), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, signIn, k)
	consumed := signIn.str("refresh_token")
	next := k.token(refreshForm(consumed), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, next, k)
	e.clk.Add(10 * time.Second)
	retry := k.token(refreshForm(consumed), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, retry, k)
	if retry.str("refresh_token") != next.str("refresh_token") {
		t.Fatal("the client's retry got another successor")
	}
	if rp.count() != 0 {
		t.Fatal("a retry was notified")
	}

	stolen := thief.token(refreshForm(consumed), thief.proof("POST", e.tokenURL(), ""))
	wantError(t, stolen, http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(stolen.str("error_description"), "did not prove the key") {
		t.Fatalf("description %q", stolen.str("error_description"))
	}
	wantError(t, k.token(refreshForm(next.str("refresh_token")), k.proof("POST", e.tokenURL(), "")), http.StatusBadRequest, "invalid_grant")
	if !strings.Contains(e.logs.String(), "event=refresh_token_theft signal=dpop_key_mismatch") {
		t.Fatalf("log:\n%s", e.logs.String())
	}
	firstSET(t, e, rp, "app")
	if !e.logged("event=notify_delivered kind=security_event client_id=app") {
		t.Fatalf("log:\n%s", e.logs.String())
	}
}

// firstSET waits for the first Security Event Token the client's receiver
// got and verifies it with go-oidc against the server's JWKS, as the
// client would (audience: the client).
func firstSET(t *testing.T, e *env, rp *rpReceiver, clientID string) *oidc.IDToken {
	t.Helper()
	select {
	case <-rp.got:
	case <-time.After(15 * time.Second):
		t.Fatalf("no SET; log:\n%s", e.logs.String())
	}
	rp.mu.Lock()
	set := rp.sets[0]
	rp.mu.Unlock()
	p, err := oidc.NewProvider(t.Context(), e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Verifier(&oidc.Config{ClientID: clientID, SkipExpiryCheck: true, Now: e.clk.Now}).Verify(t.Context(), set)
	if err != nil {
		t.Fatalf("SET: %v", err)
	}
	return v
}
