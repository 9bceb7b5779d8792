package account

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func testCookies() cookies {
	return cookies{key: []byte("0123456789abcdef0123456789abcdef"), path: "/account"}
}

// roundTrip sets a cookie and returns the request that brings it back.
func roundTrip(c cookies, name string, v any, ttl time.Duration) (*http.Request, *http.Cookie) {
	rec := httptest.NewRecorder()
	c.set(rec, name, v, ttl)
	ck := rec.Result().Cookies()[0]
	r := httptest.NewRequest(http.MethodGet, "/account", nil)
	r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	return r, ck
}

func TestAccountCookie(t *testing.T) {
	c := testCookies()
	in := signedIn{Sub: "alice", SID: "sid-1", Exp: t0.Add(CookieLifetime).Unix()}
	r, ck := roundTrip(c, cookieName, in, CookieLifetime)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/account" || ck.Secure {
		t.Fatalf("cookie attributes %+v", ck)
	}
	if strings.Contains(ck.Value, "token") {
		t.Fatal("the cookie holds a token")
	}
	var out signedIn
	if !c.get(r, cookieName, &out, t0) || out != in {
		t.Fatalf("read back %+v", out)
	}
	if c.get(r, cookieName, &out, t0.Add(CookieLifetime)) {
		t.Error("accepted at its expiry")
	}
	// Another key (another server's secret) does not read it.
	other := c
	other.key = []byte("another-key-another-key-another-key!")
	if other.get(r, cookieName, &out, t0) {
		t.Error("accepted under another key")
	}
	// A value edited by the browser (another subject) is refused.
	_, mac, _ := strings.Cut(ck.Value, ".")
	forged, _ := json.Marshal(signedIn{Sub: "bob", SID: "sid-1", Exp: in.Exp})
	r2 := httptest.NewRequest(http.MethodGet, "/account", nil)
	r2.AddCookie(&http.Cookie{Name: cookieName, Value: b64(forged) + "." + mac})
	if c.get(r2, cookieName, &out, t0) {
		t.Error("accepted an edited subject")
	}
	// A pending cookie's value does not serve as the account cookie.
	_, pck := roundTrip(c, pendingCookie, pending{State: "s", Exp: in.Exp}, pendingLifetime)
	r3 := httptest.NewRequest(http.MethodGet, "/account", nil)
	r3.AddCookie(&http.Cookie{Name: cookieName, Value: pck.Value})
	if c.get(r3, cookieName, &out, t0) {
		t.Error("a pending cookie's value served as the account cookie")
	}
	// A key too short fails closed.
	if (cookies{key: []byte("short")}).get(r, cookieName, &out, t0) {
		t.Error("a short key accepted a cookie")
	}
}

type staticKeys jose.JSONWebKeySet

func (s staticKeys) JWKS() jose.JSONWebKeySet { return jose.JSONWebKeySet(s) }

func signToken(t *testing.T, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// OpenID Connect Core §3.1.3.7: each check of the ID token refuses a token
// that breaks it.
func TestVerifyIDToken(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ks := staticKeys{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	good := func() map[string]any {
		return map[string]any{"iss": "https://id.example", "sub": "alice", "aud": "tollgate-account",
			"exp": t0.Add(5 * time.Minute).Unix(), "nonce": "n1", "sid": "sid-1"}
	}
	c, err := verifyIDToken(signToken(t, key, "k1", good()), ks, "https://id.example", "tollgate-account", "n1", t0)
	if err != nil || c.Sub != "alice" || c.SID != "sid-1" {
		t.Fatalf("good token: %+v %v", c, err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"other issuer":  func(m map[string]any) { m["iss"] = "https://evil.example" },
		"other client":  func(m map[string]any) { m["aud"] = []string{"journal"} },
		"expired":       func(m map[string]any) { m["exp"] = t0.Unix() },
		"other nonce":   func(m map[string]any) { m["nonce"] = "n2" },
		"no subject":    func(m map[string]any) { delete(m, "sub") },
		"aud not a str": func(m map[string]any) { m["aud"] = 7 },
	} {
		m := good()
		edit(m)
		if _, err := verifyIDToken(signToken(t, key, "k1", m), ks, "https://id.example", "tollgate-account", "n1", t0); !errors.Is(err, errIDToken) {
			t.Errorf("%s: %v, want refused", name, err)
		}
	}
	if _, err := verifyIDToken(signToken(t, stranger, "k1", good()), ks, "https://id.example", "tollgate-account", "n1", t0); !errors.Is(err, errIDToken) {
		t.Errorf("a stranger's signature: %v", err)
	}
	if _, err := verifyIDToken(signToken(t, key, "k9", good()), ks, "https://id.example", "tollgate-account", "n1", t0); !errors.Is(err, errIDToken) {
		t.Errorf("an unknown key id: %v", err)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestChallengeIsS256(t *testing.T) {
	// RFC 7636 Appendix B.
	if got := challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("challenge %q", got)
	}
}
