package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRuleChecks(t *testing.T) {
	ok := func(rt string) answer { return answer{status: 200, refresh: rt} }
	for _, c := range []struct {
		name, got, want string
	}{
		{"new token", checkRotation("a", ok("b"), true), ""},
		{"same token, one_time", checkRotation("a", ok("a"), true), ruleSameToken},
		{"no token, one_time", checkRotation("a", ok(""), true), ruleNoToken},
		{"same token, reuse", checkRotation("a", ok("a"), false), ""},
		{"retry, same successor", checkRetry(ok("b"), ok("b")), ""},
		{"retry, other successor", checkRetry(ok("b"), ok("c")), ruleRetryDifferent},
		{"retry refused", checkRetry(ok("b"), answer{status: 400, errCode: "invalid_grant"}), ruleRetryRefused},
		{"revoked, refused", checkRevoked(answer{status: 400, errCode: "invalid_grant"}), ""},
		{"revoked, accepted", checkRevoked(ok("x")), ruleRevokedOK},
		{"revoked, 500", checkRevoked(answer{status: 500, errCode: "server_error"}), ruleRevokedOther},
		{"DPoP token", checkDPoP(answer{status: 200, tokenType: "DPoP"}, true), ""},
		{"Bearer token for a proof", checkDPoP(answer{status: 200, tokenType: "Bearer"}, true), ruleNotDPoP},
		{"Bearer token, no proof", checkDPoP(answer{status: 200, tokenType: "Bearer"}, false), ""},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

// fakeServer answers refreshes and revocations as broken says: a token
// endpoint that hands a retry a fresh token, that returns the presented
// token, that answers a DPoP proof with a Bearer token, or a revocation
// that changes nothing. "nonce" is a correct server that wants its DPoP
// nonce in every proof (RFC 9449 §8).
func fakeServer(t *testing.T, broken string) *target {
	var mu sync.Mutex
	revoked := map[string]bool{}
	h := http.NewServeMux()
	h.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		rt := r.PostFormValue("refresh_token")
		mu.Lock()
		dead := revoked[rt]
		mu.Unlock()
		if dead && broken != "accept revoked" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		typ := "Bearer"
		if proof := r.Header.Get("DPoP"); proof != "" {
			if broken == "nonce" && !strings.Contains(proofClaims(t, proof), `"nonce":"n-1"`) {
				w.Header().Set("DPoP-Nonce", "n-1")
				w.WriteHeader(400)
				json.NewEncoder(w).Encode(map[string]string{"error": "use_dpop_nonce"})
				return
			}
			if broken != "bearer under dpop" {
				typ = "DPoP"
			}
		}
		next := "tgrt_" + rand.Text() // a fresh token every time, retries included
		if broken == "same token" {
			next = rt
		}
		json.NewEncoder(w).Encode(map[string]string{"refresh_token": next, "token_type": typ})
	})
	h.HandleFunc("POST /connect/revocation", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		revoked[r.PostFormValue("token")] = true
		mu.Unlock()
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &target{tokenURL: srv.URL + "/connect/token", revokeURL: srv.URL + "/connect/revocation",
		clientID: "c", secret: "s", http: newHTTPClient(4, 5*time.Second)}
}

// proofClaims is the payload of a compact JWS, unverified.
func proofClaims(t *testing.T, jws string) string {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Errorf("a DPoP header that is not a compact JWS: %q", jws)
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Errorf("a DPoP proof's payload: %v", err)
	}
	return string(b)
}

// withProver gives tgt a fresh DPoP key.
func withProver(t *testing.T, tgt *target) *target {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tgt.dpop, err = newProver(key); err != nil {
		t.Fatal(err)
	}
	return tgt
}

func chainsOf(n int) []*chain {
	out := make([]*chain, n)
	for i := range out {
		out[i] = &chain{token: "tgrt_first" + string(rune('a'+i))}
	}
	return out
}

// The tool counts a server's broken rule, by name, and nothing else.
func TestDriveCountsBrokenRules(t *testing.T) {
	short := driveOptions{workers: 2, dur: 300 * time.Millisecond, oneTime: true}
	for _, c := range []struct {
		broken, rule string
		edit         func(*driveOptions)
	}{
		{"new token on retry", ruleRetryDifferent, func(o *driveOptions) { o.retryEvery = 2 }},
		{"same token", ruleSameToken, func(o *driveOptions) {}},
		{"accept revoked", ruleRevokedOK, func(o *driveOptions) { o.revokeEvery = 3 }},
		{"bearer under dpop", ruleNotDPoP, func(o *driveOptions) { o.dpop = true }},
	} {
		t.Run(c.broken, func(t *testing.T) {
			o := short
			c.edit(&o)
			tgt := fakeServer(t, c.broken)
			if o.dpop {
				withProver(t, tgt)
			}
			tl, _ := drive(context.Background(), tgt, chainsOf(8), o)
			if tl.ok == 0 || tl.rules[c.rule] == 0 {
				t.Fatalf("%d refreshes, rule errors %v: want %q counted", tl.ok, tl.rules, c.rule)
			}
			if len(tl.rules) != 1 || len(tl.errs) != 0 {
				t.Errorf("rule errors %v, errors %v: want only %q", tl.rules, tl.errs, c.rule)
			}
		})
	}
	// Proofs, and a server that asks for its nonce: the tool sends the
	// request again once with it, and keeps it for the next proofs.
	t.Run("a correct DPoP server with nonces", func(t *testing.T) {
		o := short
		o.dpop = true
		tl, _ := drive(context.Background(), withProver(t, fakeServer(t, "nonce")), chainsOf(8), o)
		if tl.ok == 0 || len(tl.rules) != 0 || len(tl.errs) != 0 {
			t.Errorf("%d refreshes, rule errors %v, errors %v", tl.ok, tl.rules, tl.errs)
		}
	})
	t.Run("a correct server", func(t *testing.T) {
		o := short
		o.revokeEvery = 3
		tl, _ := drive(context.Background(), fakeServer(t, ""), chainsOf(8), o)
		if tl.ok == 0 || len(tl.rules) != 0 || len(tl.errs) != 0 || tl.revokes == 0 {
			t.Errorf("%d refreshes, %d revokes, rule errors %v, errors %v", tl.ok, tl.revokes, tl.rules, tl.errs)
		}
	})
}
