package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

const tokenURL = "https://id.example/connect/token"

var b64 = base64.RawURLEncoding

// fixture is a verifier over a real (in-memory) store and a key to sign with.
type fixture struct {
	t   *testing.T
	now time.Time
	v   *Verifier
	key *ecdsa.PrivateKey
	jwk map[string]any // the key's public JWK
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, now: time.Unix(1_800_000_000, 0), key: key}
	f.v = &Verifier{JTI: memstore.New(), Now: func() time.Time { return f.now }, Window: 60 * time.Second, Skew: 5 * time.Second}
	f.jwk = jwkMap(t, &key.PublicKey)
	return f
}

func jwkMap(t *testing.T, k any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(jose.JSONWebKey{Key: k})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) header() map[string]any {
	return map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": f.jwk}
}

func (f *fixture) claims() map[string]any {
	return map[string]any{"jti": randomJTI(), "htm": "POST", "htu": tokenURL, "iat": f.now.Unix()}
}

func randomJTI() string {
	var b [12]byte
	rand.Read(b[:])
	return b64.EncodeToString(b[:])
}

// es256 signs header and claims as given, by hand, so that a test can
// send what no well-behaved library would.
func (f *fixture) es256(h, c map[string]any) string {
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	return f.signed(hb, cb)
}

// signed is a compact JWS of header and claims as written, ES256 by f.key.
func (f *fixture) signed(header, claims []byte) string {
	in := b64.EncodeToString(header) + "." + b64.EncodeToString(claims)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, f.key, sum[:])
	if err != nil {
		f.t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64.EncodeToString(sig)
}

func (f *fixture) verify(proof string, c Check) (Proof, error) {
	return f.v.Verify(context.Background(), proof, c)
}

func post() Check { return Check{Method: "POST", URL: tokenURL} }

func wantCode(t *testing.T, err error, code, says string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s", code)
	}
	e := oautherr.As(err)
	if e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	if !strings.Contains(e.Description, says) {
		t.Fatalf("description %q does not say %q", e.Description, says)
	}
}

func TestGoodProofGivesThumbprint(t *testing.T) {
	f := newFixture(t)
	p, err := f.verify(f.es256(f.header(), f.claims()), post())
	if err != nil {
		t.Fatal(err)
	}
	want, err := Thumbprint(&jose.JSONWebKey{Key: &f.key.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	if p.JKT != want || len(p.JKT) != 43 {
		t.Fatalf("jkt %q, want %q", p.JKT, want)
	}
}

func TestBadProofs(t *testing.T) {
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name string
		edit func(f *fixture, h, c map[string]any) string // "" signs h and c with f.key
		chk  func(c *Check)
		code string
		says string
	}{
		{name: "wrong typ", edit: func(f *fixture, h, c map[string]any) string { h["typ"] = "JWT"; return "" }, code: InvalidProof, says: "typ"},
		{name: "no typ", edit: func(f *fixture, h, c map[string]any) string { delete(h, "typ"); return "" }, code: InvalidProof, says: "typ"},
		{name: "typ a number", edit: func(f *fixture, h, c map[string]any) string { h["typ"] = 7; return "" }, code: InvalidProof, says: "string typ"},
		{name: "alg a list", edit: func(f *fixture, h, c map[string]any) string { h["alg"] = []string{"ES256"}; return "" }, code: InvalidProof, says: "string typ and alg"},
		{name: "typ spelt TYP", edit: func(f *fixture, h, c map[string]any) string { h["TYP"] = h["typ"]; delete(h, "typ"); return "" }, code: InvalidProof, says: "typ"},
		{name: "alg none", edit: func(f *fixture, h, c map[string]any) string {
			h["alg"] = "none"
			hb, _ := json.Marshal(h)
			cb, _ := json.Marshal(c)
			return b64.EncodeToString(hb) + "." + b64.EncodeToString(cb) + "."
		}, code: InvalidProof, says: "alg"},
		{name: "alg HS256", edit: func(f *fixture, h, c map[string]any) string {
			h["alg"] = "HS256"
			hb, _ := json.Marshal(h)
			cb, _ := json.Marshal(c)
			in := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
			m := hmac.New(sha256.New, []byte("0123456789abcdef0123456789abcdef"))
			m.Write([]byte(in))
			return in + "." + b64.EncodeToString(m.Sum(nil))
		}, code: InvalidProof, says: "alg"},
		{name: "alg not the client's", chk: func(c *Check) { c.Algs = []string{"PS256"} }, code: InvalidProof, says: "alg"},
		{name: "no jwk", edit: func(f *fixture, h, c map[string]any) string { delete(h, "jwk"); return "" }, code: InvalidProof, says: "jwk"},
		{name: "private jwk", edit: func(f *fixture, h, c map[string]any) string {
			priv := jwkMap(f.t, f.key)
			h["jwk"] = priv
			return ""
		}, code: InvalidProof, says: "private key"},
		{name: "jwk of another key", edit: func(f *fixture, h, c map[string]any) string {
			h["jwk"] = jwkMap(f.t, &other.PublicKey)
			return ""
		}, code: InvalidProof, says: "signature"},
		{name: "bad signature", edit: func(f *fixture, h, c map[string]any) string {
			p := f.es256(h, c)
			i := strings.LastIndexByte(p, '.')
			sig, _ := b64.DecodeString(p[i+1:])
			sig[5] ^= 1
			return p[:i+1] + b64.EncodeToString(sig)
		}, code: InvalidProof, says: "signature"},
		{name: "htm mismatch", edit: func(f *fixture, h, c map[string]any) string { c["htm"] = "GET"; return "" }, code: InvalidProof, says: "htm"},
		{name: "htm lower case", edit: func(f *fixture, h, c map[string]any) string { c["htm"] = "post"; return "" }, code: InvalidProof, says: "htm"},
		{name: "htu other endpoint", edit: func(f *fixture, h, c map[string]any) string {
			c["htu"] = "https://id.example/connect/userinfo"
			return ""
		}, code: InvalidProof, says: "htu"},
		{name: "htu other host", edit: func(f *fixture, h, c map[string]any) string {
			c["htu"] = "https://evil.example/connect/token"
			return ""
		}, code: InvalidProof, says: "htu"},
		{name: "htu other scheme", edit: func(f *fixture, h, c map[string]any) string {
			c["htu"] = "http://id.example/connect/token"
			return ""
		}, code: InvalidProof, says: "htu"},
		{name: "iat too old", edit: func(f *fixture, h, c map[string]any) string {
			c["iat"] = f.now.Add(-61 * time.Second).Unix()
			return ""
		}, code: InvalidProof, says: "ago"},
		{name: "iat in the future", edit: func(f *fixture, h, c map[string]any) string {
			c["iat"] = f.now.Add(6 * time.Second).Unix()
			return ""
		}, code: InvalidProof, says: "future"},
		{name: "iat huge", edit: func(f *fixture, h, c map[string]any) string { c["iat"] = 1e300; return "" }, code: InvalidProof, says: "iat"},
		{name: "no iat", edit: func(f *fixture, h, c map[string]any) string { delete(c, "iat"); return "" }, code: InvalidProof, says: "iat"},
		{name: "no jti", edit: func(f *fixture, h, c map[string]any) string { delete(c, "jti"); return "" }, code: InvalidProof, says: "jti"},
		{name: "no htu", edit: func(f *fixture, h, c map[string]any) string { delete(c, "htu"); return "" }, code: InvalidProof, says: "htu"},
		{name: "no ath with a token", chk: func(c *Check) { c.AccessToken = "at" }, code: InvalidProof, says: "ath"},
		{name: "wrong ath", edit: func(f *fixture, h, c map[string]any) string { c["ath"] = TokenHash("another token"); return "" },
			chk: func(c *Check) { c.AccessToken = "the token" }, code: InvalidProof, says: "ath"},
		{name: "two JWTs", edit: func(f *fixture, h, c map[string]any) string { p := f.es256(h, c); return p + "," + p }, code: InvalidProof, says: ""},
		{name: "garbage", edit: func(f *fixture, h, c map[string]any) string { return "not.a.jwt" }, code: InvalidProof, says: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			h, c := f.header(), f.claims()
			proof := ""
			if tc.edit != nil {
				proof = tc.edit(f, h, c)
			}
			if proof == "" {
				proof = f.es256(h, c)
			}
			chk := post()
			if tc.chk != nil {
				tc.chk(&chk)
			}
			_, err := f.verify(proof, chk)
			wantCode(t, err, tc.code, tc.says)
		})
	}
}

func TestHTUQueryAndFragmentIgnoredAndNormalised(t *testing.T) {
	for _, htu := range []string{
		tokenURL + "?x=1", tokenURL + "#frag", "HTTPS://ID.Example/connect/token",
		"https://id.example:443/connect/token", "https://id.example/connect/./token",
	} {
		f := newFixture(t)
		c := f.claims()
		c["htu"] = htu
		if _, err := f.verify(f.es256(f.header(), c), post()); err != nil {
			t.Errorf("htu %q: %v", htu, err)
		}
	}
	if SameURI("https://id.example:8443/connect/token", tokenURL) {
		t.Error("another port is the same URI")
	}
	if SameURI("https://id.example/connect/token/", tokenURL) {
		t.Error("a trailing slash is the same URI")
	}
}

func TestATHMatches(t *testing.T) {
	f := newFixture(t)
	c := f.claims()
	c["ath"] = TokenHash("the token")
	if _, err := f.verify(f.es256(f.header(), c), Check{Method: "POST", URL: tokenURL, AccessToken: "the token"}); err != nil {
		t.Fatal(err)
	}
}

func TestReplayedJTIRefused(t *testing.T) {
	f := newFixture(t)
	p := f.es256(f.header(), f.claims())
	if _, err := f.verify(p, post()); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(30 * time.Second)
	_, err := f.verify(p, post())
	wantCode(t, err, InvalidProof, "already used")
	// The same jti under another key is another proof: ids are per key.
	g := newFixture(t)
	g.v.JTI = f.v.JTI
	g.now = f.now
	c := g.claims()
	var first map[string]any
	parts := strings.Split(p, ".")
	raw, _ := b64.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &first)
	c["jti"] = first["jti"]
	if _, err := g.verify(g.es256(g.header(), c), post()); err != nil {
		t.Fatalf("another key's proof with the same jti: %v", err)
	}
}

func TestOtherAlgorithms(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, k := range []struct {
		alg jose.SignatureAlgorithm
		key any
	}{{jose.PS256, rk}, {jose.RS256, rk}, {jose.EdDSA, ek}, {jose.ES384, p384}} {
		f := newFixture(t)
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := json.Marshal(f.claims())
		jws, err := s.Sign(cb)
		if err != nil {
			t.Fatal(err)
		}
		proof, _ := jws.CompactSerialize()
		if _, err := f.verify(proof, post()); err != nil {
			t.Errorf("%s: %v", k.alg, err)
		}
	}
	// A short RSA key is refused.
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	f := newFixture(t)
	s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: weak}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	cb, _ := json.Marshal(f.claims())
	jws, _ := s.Sign(cb)
	proof, _ := jws.CompactSerialize()
	_, err := f.verify(proof, post())
	wantCode(t, err, InvalidProof, "2048")

	// So is a huge one, before its signature costs anything: go-jose
	// refuses to parse an RSA JWK over MaxRSAModulusBits (4,096), so a
	// client cannot make each verification cost what a huge modulus does.
	// A header with a 9,000-bit modulus and any signature:
	n := make([]byte, 9000/8)
	n[0] = 0xff
	enc := base64.RawURLEncoding.EncodeToString
	hdr, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "RS256",
		"jwk": map[string]string{"kty": "RSA", "n": enc(n), "e": "AQAB"}})
	_, err = f.verify(enc(hdr)+"."+enc(cb)+"."+enc(make([]byte, 9000/8)), post())
	// Refused when the JWS is parsed, not when the signature is checked.
	wantCode(t, err, InvalidProof, "not a well-formed JWS")
}
