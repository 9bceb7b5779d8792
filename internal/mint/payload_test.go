package mint

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// tokenParts decodes a compact JWS's header and payload.
func tokenParts(t *testing.T, tok string) (header, payload string) {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("%d parts", len(p))
	}
	h, err1 := base64.RawURLEncoding.DecodeString(p[0])
	b, err2 := base64.RawURLEncoding.DecodeString(p[1])
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(h), string(b)
}

// goldenExtra are user claims with HTML characters (escaped by
// encoding/json) and a registered name ("sub", dropped).
func goldenExtra() map[string]any {
	return map[string]any{"email": "u@example.com", "email_verified": true,
		"name": "Jane <Doe> & co", "sub": "x", "roles": []string{"a", "b"}}
}

// TestPayloadBytes: the header and payload are, byte for byte, what
// Tollgate wrote when go-jose signed and json.Marshal and a second Marshal
// of the user claims built the payload (the literals were printed by that
// code). A relying party sees no change at all, only a faster server.
func TestPayloadBytes(t *testing.T) {
	m := testMinter(t)
	a := fullAccess()
	a.Extra = goldenExtra()
	at, err := m.AccessToken(a, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	a2 := fullAccess()
	a2.Audience, a2.AuthTime = []string{"a", "b"}, now.Add(-3*time.Hour)
	at2, err := m.AccessToken(a2, "ES256")
	if err != nil {
		t.Fatal(err)
	}
	id := fullID()
	id.Extra = goldenExtra()
	it, err := m.IDToken(id, "RS256")
	if err != nil {
		t.Fatal(err)
	}
	esKid, rsKid := signingKID(t, m, "ES256"), signingKID(t, m, "RS256")
	for i, c := range []struct{ tok, header, payload string }{
		{at, `{"alg":"ES256","kid":"` + esKid + `","typ":"at+jwt"}`,
			`{"iss":"https://auth.example.com","sub":"user-1","aud":"https://api.example.com","exp":1748779800,"iat":1748779200,"jti":"jti-1","client_id":"client-1","scope":"openid profile offline_access","auth_time":1748775600,"sid":"sid-1","email":"u@example.com","email_verified":true,"name":"Jane \u003cDoe\u003e \u0026 co","roles":["a","b"]}`},
		{at2, `{"alg":"ES256","kid":"` + esKid + `","typ":"at+jwt"}`,
			`{"iss":"https://auth.example.com","sub":"user-1","aud":["a","b"],"exp":1748779800,"iat":1748779200,"jti":"jti-1","client_id":"client-1","scope":"openid profile offline_access","auth_time":1748768400,"sid":"sid-1"}`},
		{it, `{"alg":"RS256","kid":"` + rsKid + `","typ":"JWT"}`,
			`{"iss":"https://auth.example.com","sub":"user-1","aud":"client-1","exp":1748782800,"iat":1748779200,"auth_time":1748779140,"nonce":"n-0S6_WzA2Mj","sid":"sid-1","amr":["pwd","otp"],"azp":"client-1","at_hash":"77QmUPtjPfzWtF2AnpK9RQ","c_hash":"LDktKdoQak3Pk0cnXxCltA","email":"u@example.com","email_verified":true,"name":"Jane \u003cDoe\u003e \u0026 co","roles":["a","b"]}`},
	} {
		h, p := tokenParts(t, c.tok)
		if h != c.header {
			t.Errorf("token %d: header\n got %s\nwant %s", i, h, c.header)
		}
		if p != c.payload {
			t.Errorf("token %d: payload\n got %s\nwant %s", i, p, c.payload)
		}
	}
}

// TestPayloadNamesAreRegistered: user claims are merged without a second
// parse, so only the registered list keeps a user claim from repeating a
// name the token sets. Every JSON name of the minted structs must be on it.
func TestPayloadNamesAreRegistered(t *testing.T) {
	for _, v := range []any{accessJSON{}, idJSON{}} {
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if !registered[name] {
				t.Errorf("%s.%s: %q is not a registered name", rt.Name(), rt.Field(i).Name, name)
			}
		}
	}
}

// TestEncodePayloadReusedBuffer: a pooled buffer that held a longer
// payload before yields exactly the new one.
func TestEncodePayloadReusedBuffer(t *testing.T) {
	m := testMinter(t)
	long := fullAccess()
	long.Extra = map[string]any{"name": strings.Repeat("x", 3000)}
	short := fullAccess()
	short.Extra = map[string]any{"name": "y"}
	for range 20 {
		if _, err := m.AccessToken(long, "ES256"); err != nil {
			t.Fatal(err)
		}
		tok, err := m.AccessToken(short, "ES256")
		if err != nil {
			t.Fatal(err)
		}
		if _, p := tokenParts(t, tok); !strings.HasSuffix(p, `"sid":"sid-1","name":"y"}`) {
			t.Fatalf("payload %s", p)
		}
	}
}

// TestTokensVerifyWithGoOIDC: what a relying party and a resource server
// run. For each algorithm the Minter signs with, go-oidc's verifier
// accepts the ID token (signature, iss, aud, exp) and its at_hash, and the
// access token; go-jose accepts both with only that algorithm allowed.
func TestTokensVerifyWithGoOIDC(t *testing.T) {
	m := testMinter(t)
	var pubs []crypto.PublicKey
	for _, k := range publishedKeys(t, m).Keys {
		pubs = append(pubs, k.Key)
	}
	ks := &oidc.StaticKeySet{PublicKeys: pubs}
	for _, alg := range algs {
		at, err := m.AccessToken(fullAccess(), alg)
		if err != nil {
			t.Fatal(err)
		}
		c := fullID()
		c.AccessToken, c.Code = at, ""
		it, err := m.IDToken(c, alg)
		if err != nil {
			t.Fatal(err)
		}
		cfg := &oidc.Config{ClientID: "client-1", SupportedSigningAlgs: []string{alg}, Now: func() time.Time { return now }}
		idt, err := oidc.NewVerifier(issuer, ks, cfg).Verify(context.Background(), it)
		if err != nil {
			t.Fatalf("%s: go-oidc rejects the ID token: %v", alg, err)
		}
		if err := idt.VerifyAccessToken(at); err != nil {
			t.Errorf("%s: at_hash: %v", alg, err)
		}
		cfg.ClientID = "https://api.example.com"
		if _, err := oidc.NewVerifier(issuer, ks, cfg).Verify(context.Background(), at); err != nil {
			t.Errorf("%s: go-oidc rejects the access token: %v", alg, err)
		}
		for _, tok := range []string{at, it} {
			jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			key := publishedKeys(t, m).Key(jws.Signatures[0].Header.KeyID)
			if len(key) != 1 {
				t.Fatalf("%s: kid %q not published", alg, jws.Signatures[0].Header.KeyID)
			}
			if _, err := jws.Verify(key[0]); err != nil {
				t.Errorf("%s: go-jose: %v", alg, err)
			}
		}
		if alg == "ES256" {
			if sig := strings.Split(at, ".")[2]; base64.RawURLEncoding.DecodedLen(len(sig)) != 64 {
				t.Errorf("ES256 signature of %d octets, want 64 (R||S)", base64.RawURLEncoding.DecodedLen(len(sig)))
			}
		}
	}
}

// FuzzEncodePayload: whatever user claims come in, the payload is one
// valid JSON object in which every name appears once, the registered
// claims keep their values, and every other user claim is there as given.
func FuzzEncodePayload(f *testing.F) {
	f.Add("email", "u@example.com", "sub", 1.5, false)
	f.Add("name", "<\u2028>&\"\\", "x", 0.0, false)
	f.Add("", "\xff", "iss", 1e300, false)
	f.Add("a", "b", "c", 1.0, true)
	f.Fuzz(func(t *testing.T, k1, v1, k2 string, n float64, empty bool) {
		if !utf8.ValidString(k1) || !utf8.ValidString(k2) {
			// Claim names are the server's own (grant.UserClaims). Like
			// json.Marshal before, encoding/json folds an invalid name to
			// U+FFFD, so two such names would collide; none can become a
			// registered name.
			t.Skip()
		}
		claims := &accessJSON{Issuer: issuer, Subject: "user-1", Audience: "api", Expiry: 2, IssuedAt: 1, ID: "j", ClientID: "c"}
		extra := map[string]any{k1: v1, k2: n}
		if empty {
			extra = nil
		}
		var buf bytes.Buffer
		buf.WriteString("stale bytes a reused buffer must not show")
		buf.Reset()
		err := encodePayload(&buf, claims, extra)
		if _, merr := json.Marshal(extra); merr != nil {
			if err == nil {
				t.Fatalf("encoded %v, which json.Marshal refuses (%v)", extra, merr)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		// Every name once: walk the top-level object token by token.
		dec := json.NewDecoder(bytes.NewReader(out))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("%s: not an object", out)
		}
		seen := map[string]bool{}
		for dec.More() {
			name, err := dec.Token()
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if seen[name.(string)] {
				t.Fatalf("%s: %q twice", out, name)
			}
			seen[name.(string)] = true
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
		}
		if _, err := dec.Token(); err != nil || dec.More() {
			t.Fatalf("%s: trailing data", out)
		}
		// The values: the registered claims as marshalled alone, then
		// the user claims that are not registered.
		want := map[string]any{}
		base, _ := json.Marshal(claims)
		json.Unmarshal(base, &want)
		user := map[string]any{}
		for k, v := range extra {
			if !registered[k] {
				user[k] = v
			}
		}
		if len(user) > 0 {
			b, _ := json.Marshal(user)
			json.Unmarshal(b, &want)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("payload %s\n got %v\nwant %v", out, got, want)
		}
	})
}
