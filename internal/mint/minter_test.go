package mint

import (
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

var algs = []string{"RS256", "ES256"}

// parse verifies tok with go-jose's jwt package against the published JWK
// Set, the way a resource server or relying party would, and returns its
// header and claims.
func parse(t *testing.T, m *Minter, tok string) (jose.Header, map[string]any) {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.Claims(publishedKeys(t, m), &claims); err != nil {
		t.Fatalf("verify with the JWKS: %v", err)
	}
	return parsed.Headers[0], claims
}

func fullAccess() AccessClaims {
	return AccessClaims{
		Subject:   "user-1",
		Audience:  []string{"https://api.example.com"},
		ClientID:  "client-1",
		Scopes:    []string{"openid", "profile", "offline_access"},
		ID:        "jti-1",
		IssuedAt:  now,
		ExpiresAt: now.Add(10 * time.Minute),
		AuthTime:  now.Add(-time.Hour),
		SessionID: "sid-1",
	}
}

func TestAccessTokenClaims(t *testing.T) {
	m := testMinter(t)
	for _, alg := range algs {
		tok, err := m.AccessToken(fullAccess(), alg)
		if err != nil {
			t.Fatal(err)
		}
		h, claims := parse(t, m, tok)
		kid := signingKID(t, m, alg)
		if h.Algorithm != alg || h.KeyID != kid || h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
			t.Errorf("%s: header alg=%q kid=%q typ=%v", alg, h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType])
		}
		want := map[string]any{
			"iss": issuer, "sub": "user-1", "aud": "https://api.example.com",
			"exp": float64(now.Unix() + 600), "iat": float64(now.Unix()),
			"jti": "jti-1", "client_id": "client-1", "scope": "openid profile offline_access",
			"auth_time": float64(now.Unix() - 3600), "sid": "sid-1",
		}
		if !reflect.DeepEqual(claims, want) {
			t.Errorf("%s: claims\n got %v\nwant %v", alg, claims, want)
		}
	}
}

func TestAccessTokenOptionalClaims(t *testing.T) {
	m := testMinter(t)
	c := fullAccess()
	c.ID, c.AuthTime, c.SessionID, c.Scopes = "", time.Time{}, "", nil
	c.Audience = []string{"a", "b"}
	tok, err := m.AccessToken(c, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	_, claims := parse(t, m, tok)
	for _, absent := range []string{"auth_time", "sid", "scope", "nbf", "cnf"} {
		if _, ok := claims[absent]; ok {
			t.Errorf("claim %q present", absent)
		}
	}
	if jti, _ := claims["jti"].(string); len(jti) != 22 {
		t.Errorf("generated jti %q, want 22 base64url chars", jti)
	}
	if aud := claims["aud"]; !reflect.DeepEqual(aud, []any{"a", "b"}) {
		t.Errorf("aud = %v", aud)
	}
	tok2, _ := m.AccessToken(c, "ES256")
	if _, c2 := parse(t, m, tok2); c2["jti"] == claims["jti"] {
		t.Error("two tokens got one jti")
	}
}

// TestAccessTokenDPoPBound: a bound token carries cnf.jkt (RFC 9449
// §6.1), which no user claim can replace, and verification returns it.
func TestAccessTokenDPoPBound(t *testing.T) {
	m := testMinter(t)
	c := fullAccess()
	c.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
	c.Extra = map[string]any{"cnf": map[string]any{"jkt": "forged"}, "name": "A"}
	tok, err := m.AccessToken(c, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	_, claims := parse(t, m, tok)
	if !reflect.DeepEqual(claims["cnf"], map[string]any{"jkt": c.JKT}) {
		t.Fatalf("cnf = %v", claims["cnf"])
	}
	got, err := m.VerifyAccessToken(tok, now)
	if err != nil || got.JKT != c.JKT {
		t.Fatalf("verified jkt %q, %v", got.JKT, err)
	}
}

func TestAccessTokenRefusesIncomplete(t *testing.T) {
	m := testMinter(t)
	for name, edit := range map[string]func(*AccessClaims){
		"no subject":    func(c *AccessClaims) { c.Subject = "" },
		"no client":     func(c *AccessClaims) { c.ClientID = "" },
		"no audience":   func(c *AccessClaims) { c.Audience = nil },
		"no iat":        func(c *AccessClaims) { c.IssuedAt = time.Time{} },
		"exp not after": func(c *AccessClaims) { c.ExpiresAt = c.IssuedAt },
	} {
		c := fullAccess()
		edit(&c)
		if _, err := m.AccessToken(c, "ES256"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := m.AccessToken(fullAccess(), "HS256"); err == nil {
		t.Error("HS256: no error")
	}
}

func fullID() IDClaims {
	return IDClaims{
		Subject: "user-1", Audience: "client-1", Nonce: "n-0S6_WzA2Mj",
		SessionID: "sid-1", AuthorizedParty: "client-1", AMR: []string{"pwd", "otp"},
		IssuedAt: now, ExpiresAt: now.Add(time.Hour), AuthTime: now.Add(-time.Minute),
		// The values of OIDC Core Appendix A.3 and A.4.
		AccessToken: "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
		Code:        "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk",
	}
}

func TestIDTokenClaims(t *testing.T) {
	m := testMinter(t)
	for _, alg := range algs {
		c := fullID()
		c.Extra = map[string]any{"email": "u@example.com", "email_verified": true}
		tok, err := m.IDToken(c, alg)
		if err != nil {
			t.Fatal(err)
		}
		h, claims := parse(t, m, tok)
		kid := signingKID(t, m, alg)
		if h.Algorithm != alg || h.KeyID != kid || h.ExtraHeaders[jose.HeaderType] != "JWT" {
			t.Errorf("%s: header alg=%q kid=%q typ=%v", alg, h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType])
		}
		want := map[string]any{
			"iss": issuer, "sub": "user-1", "aud": "client-1",
			"exp": float64(now.Unix() + 3600), "iat": float64(now.Unix()),
			"auth_time": float64(now.Unix() - 60), "nonce": "n-0S6_WzA2Mj", "sid": "sid-1",
			"amr": []any{"pwd", "otp"}, "azp": "client-1",
			// OIDC Core Appendix A.3 (at_hash) and A.4 (c_hash), both RS256;
			// ES256 uses SHA-256 too, so the values are the same.
			"at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "c_hash": "LDktKdoQak3Pk0cnXxCltA",
			"email": "u@example.com", "email_verified": true,
		}
		if !reflect.DeepEqual(claims, want) {
			t.Errorf("%s: claims\n got %v\nwant %v", alg, claims, want)
		}
	}
}

func TestIDTokenMinimal(t *testing.T) {
	m := testMinter(t)
	c := IDClaims{Subject: "s", Audience: "c", IssuedAt: now, ExpiresAt: now.Add(time.Minute), AuthTime: now}
	tok, err := m.IDToken(c, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	_, claims := parse(t, m, tok)
	keysGot := make([]string, 0, len(claims))
	for k := range claims {
		keysGot = append(keysGot, k)
	}
	if len(claims) != 6 {
		t.Errorf("claims %v, want exactly iss sub aud exp iat auth_time", keysGot)
	}
}

func TestIDTokenExtraCannotOverride(t *testing.T) {
	m := testMinter(t)
	c := fullID()
	c.Extra = map[string]any{
		"iss": "https://evil.example", "sub": "admin", "aud": "other", "exp": 1 << 40,
		"nonce": "x", "at_hash": "x", "jti": "x", "acr": "x", "name": "Jane",
	}
	tok, err := m.IDToken(c, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	_, claims := parse(t, m, tok)
	if claims["iss"] != issuer || claims["sub"] != "user-1" || claims["aud"] != "client-1" ||
		claims["nonce"] != "n-0S6_WzA2Mj" || claims["at_hash"] != "77QmUPtjPfzWtF2AnpK9RQ" ||
		claims["exp"] != float64(now.Unix()+3600) {
		t.Errorf("a user claim overrode a registered one: %v", claims)
	}
	if _, ok := claims["jti"]; ok {
		t.Error("jti came in through Extra")
	}
	if claims["name"] != "Jane" {
		t.Error("the harmless user claim was dropped")
	}
	if c.Extra["sub"] != "admin" {
		t.Error("IDToken modified the caller's Extra map")
	}
	// The payload must hold each name once: a duplicate "sub" would let
	// whichever parser reads the last one see the attacker's value.
	raw, _ := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if n := strings.Count(string(raw.UnsafePayloadWithoutVerification()), `"sub"`); n != 1 {
		t.Errorf(`"sub" appears %d times`, n)
	}
	c.Extra = map[string]any{"bad": make(chan int)}
	if _, err := m.IDToken(c, "ES256"); err == nil {
		t.Error("unencodable user claim: no error")
	}
}

func TestIDTokenRefusesIncomplete(t *testing.T) {
	m := testMinter(t)
	for name, edit := range map[string]func(*IDClaims){
		"no subject":   func(c *IDClaims) { c.Subject = "" },
		"no audience":  func(c *IDClaims) { c.Audience = "" },
		"no auth_time": func(c *IDClaims) { c.AuthTime = time.Time{} },
		"no exp":       func(c *IDClaims) { c.ExpiresAt = time.Time{} },
	} {
		c := fullID()
		edit(&c)
		if _, err := m.IDToken(c, "ES256"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestHalfHash(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "PS256"} {
		if got, _ := halfHash(alg, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"); got != "77QmUPtjPfzWtF2AnpK9RQ" {
			t.Errorf("%s: %q", alg, got)
		}
	}
	for alg, n := range map[string]int{"RS384": 32, "ES512": 43} { // 24 and 32 bytes
		if got, err := halfHash(alg, "x"); err != nil || len(got) != n {
			t.Errorf("%s: %q %v", alg, got, err)
		}
	}
	if _, err := halfHash("EdDSA", "x"); err == nil {
		t.Error("EdDSA: no error")
	}
}
