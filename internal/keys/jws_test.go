package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// everyAlgKey returns a fresh private key for alg; one RSA key serves
// every RSA algorithm (RSA generation is slow under -race).
func everyAlgKey(t *testing.T, alg string) any {
	t.Helper()
	var k any
	var err error
	switch alg[:2] {
	case "RS", "PS":
		rsaOnce.Do(func() { rsaKey, err = rsa.GenerateKey(rand.Reader, 2048) })
		k = rsaKey
	case "ES":
		k, err = ecdsa.GenerateKey(algSpecs[alg].curve, rand.Reader)
	default:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealedRow seals priv as a store row the way newKey does, for algorithms
// newKey does not generate.
func sealedRow(t *testing.T, s sealer, priv any, alg, kid string) store.SigningKey {
	t.Helper()
	jwk := jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: alg, Use: "sig"}
	plain, err := jwk.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return store.SigningKey{ID: kid, Algorithm: alg, Sealed: s.seal(kid, plain), CreatedAt: t0}
}

// TestJWSEveryAlgorithm: for each algorithm a stored key may have, a token
// verifies with go-jose against the published key, and its protected header
// is byte for byte the one go-jose's own signer wrote before (alg, kid,
// typ: nothing more, nothing less).
func TestJWSEveryAlgorithm(t *testing.T) {
	s, _ := newSealer(secret)
	var rows []store.SigningKey
	privs := map[string]any{}
	for alg := range algSpecs {
		privs[alg] = everyAlgKey(t, alg)
		rows = append(rows, sealedRow(t, s, privs[alg], alg, "kid-"+alg))
	}
	snap, err := openSet(rows, s, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	set := &Set{now: func() time.Time { return t0 }}
	set.cur.Store(snap)
	payload := []byte(`{"iss":"https://auth.example.com","sub":"user-1","n":"` + strings.Repeat("x", 100) + `"}`)
	for alg := range algSpecs {
		for _, typ := range []string{"", "at+jwt", "JWT"} {
			signer, err := set.JWSSigner(alg, typ)
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			tok, err := signer.Sign(payload)
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			pub, ok := set.PublicKey("kid-" + alg)
			if !ok {
				t.Fatalf("%s: key not published", alg)
			}
			got, err := verifyCompact(tok, pub)
			if err != nil || !bytes.Equal(got, payload) {
				t.Errorf("%s typ %q: go-jose verify: %q, %v", alg, typ, got, err)
			}
			// The same key and options through go-jose's signer.
			opts := &jose.SignerOptions{}
			if typ != "" {
				opts = opts.WithType(jose.ContentType(typ))
			}
			jwk := jose.JSONWebKey{Key: privs[alg], KeyID: "kid-" + alg, Algorithm: alg}
			js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: &jwk}, opts)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := js.Sign(payload)
			refTok, _ := ref.CompactSerialize()
			if want, have := strings.Split(refTok, ".")[0], strings.Split(tok, ".")[0]; have != want {
				hb, _ := base64.RawURLEncoding.DecodeString(have)
				wb, _ := base64.RawURLEncoding.DecodeString(want)
				t.Errorf("%s typ %q: header %s, go-jose wrote %s", alg, typ, hb, wb)
			}
		}
	}
}

// TestES256SignatureIsFixedWidth: RFC 7518 §3.4 wants R||S, 32 octets
// each, not the DER that crypto/ecdsa returns. Checked with crypto/ecdsa
// directly over many signatures, so that an R or S with a high bit set (a
// 33-octet DER integer) or a short one (a leading zero dropped) comes up.
func TestES256SignatureIsFixedWidth(t *testing.T) {
	set, err := Load(t.Context(), seeded(t), secret, t0)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := set.JWSSigner("ES256", "at+jwt")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := set.PublicKey(signer.KeyID())
	ecPub := pub.Key.(*ecdsa.PublicKey)
	for i := range 200 {
		tok, err := signer.Sign([]byte(`{"i":` + string(rune('0'+i%10)) + `}`))
		if err != nil {
			t.Fatal(err)
		}
		dot := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != 64 {
			t.Fatalf("signature of %d octets, want 64 (R||S)", len(sig))
		}
		digest := sha256.Sum256([]byte(tok[:dot]))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(ecPub, digest[:], r, s) {
			t.Fatalf("R||S does not verify: %s", tok)
		}
	}
}

func TestAppendFixedWidth(t *testing.T) {
	der := func(r, s []byte) []byte {
		body := append(append([]byte{0x02, byte(len(r))}, r...), append([]byte{0x02, byte(len(s))}, s...)...)
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	high := append([]byte{0x00}, bytes.Repeat([]byte{0xff}, 32)...) // 2^256-1 needs a sign octet
	for name, c := range map[string]struct {
		der  []byte
		want []byte
	}{
		"short r and s": {der([]byte{0x01}, []byte{0x7f, 0x02}),
			append(append(make([]byte, 31), 0x01), append(make([]byte, 30), 0x7f, 0x02)...)},
		"sign octet": {der(high, []byte{0x05}),
			append(bytes.Repeat([]byte{0xff}, 32), append(make([]byte, 31), 0x05)...)},
	} {
		got, err := appendFixedWidth([]byte("pre"), c.der, 32)
		if err != nil || !bytes.Equal(got, append([]byte("pre"), c.want...)) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for name, bad := range map[string][]byte{
		"empty":        nil,
		"negative r":   der([]byte{0x80}, []byte{0x01}),
		"r too long":   der(append([]byte{0x01}, make([]byte, 32)...), []byte{0x01}),
		"non-minimal":  der([]byte{0x00, 0x01}, []byte{0x01}),
		"empty s":      der([]byte{0x01}, nil),
		"trailing":     append(der([]byte{0x01}, []byte{0x01}), 0x00),
		"one integer":  {0x30, 0x03, 0x02, 0x01, 0x01},
		"not sequence": {0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01},
	} {
		if got, err := appendFixedWidth(nil, bad, 32); err == nil {
			t.Errorf("%s: accepted as %x", name, got)
		}
	}
}

// TestSigningKeyMustFitAlg: a key loads only if its alg signs with it.
func TestSigningKeyMustFitAlg(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	short, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, jwk := range map[string]jose.JSONWebKey{
		"P-384 as ES256": {Key: p384, Algorithm: "ES256"},
		"RSA as ES256":   {Key: everyAlgKey(t, "RS256"), Algorithm: "ES256"},
		"P-384 as RS256": {Key: p384, Algorithm: "RS256"},
		"Ed25519 as ES":  {Key: ed, Algorithm: "ES256"},
		"RSA as EdDSA":   {Key: everyAlgKey(t, "RS256"), Algorithm: "EdDSA"},
		"1024-bit RSA":   {Key: short, Algorithm: "RS256"},
		"HS256":          {Key: []byte("0123456789abcdef0123456789abcdef"), Algorithm: "HS256"},
	} {
		if _, err := newSigningKey(jwk); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, alg := range Algorithms {
		if _, ok := algSpecs[alg]; !ok {
			t.Errorf("Load creates %s keys, which the signer cannot use", alg)
		}
	}
}

// TestJWSSignerFollowsRotation: after a reload brings a newer key, tokens
// are signed by it and name it in "kid"; a token of the older key still
// verifies against the older key, which stays published.
func TestJWSSignerFollowsRotation(t *testing.T) {
	st, _, b, clk := twoNodes(t)
	before, err := b.JWSSigner("ES256", "at+jwt")
	if err != nil {
		t.Fatal(err)
	}
	oldTok, _ := before.Sign([]byte(`{"n":1}`))
	addKey(t, st, "es256-rotated", t0.Add(time.Hour))
	if err := b.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour) // the key activates when it was created
	after, err := b.JWSSigner("ES256", "at+jwt")
	if err != nil {
		t.Fatal(err)
	}
	if after.KeyID() != "es256-rotated" || after.KeyID() == before.KeyID() {
		t.Fatalf("after rotation the signer's kid is %q", after.KeyID())
	}
	newTok, _ := after.Sign([]byte(`{"n":2}`))
	if h := header(t, newTok); h.KeyID != "es256-rotated" {
		t.Errorf("new token's kid %q", h.KeyID)
	}
	newPub, _ := b.PublicKey("es256-rotated")
	oldPub, _ := b.PublicKey(before.KeyID())
	if _, err := verifyCompact(newTok, newPub); err != nil {
		t.Errorf("new token against the new key: %v", err)
	}
	if _, err := verifyCompact(newTok, oldPub); err == nil {
		t.Error("new token verified against the old key: it was not signed by the new one")
	}
	if _, err := verifyCompact(oldTok, oldPub); err != nil {
		t.Errorf("old token against the old key: %v", err)
	}
}

// NewJWSSigner keeps a header of the caller's byte for byte, a JOSE library
// verifies what it signs, and a header whose alg is not the key's is
// refused.
func TestNewJWSSignerOwnHeader(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jose.JSONWebKey{Key: &priv.PublicKey}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	header := []byte(`{"alg":"ES256","jwk":` + string(pub) + `,"typ":"dpop+jwt"}`)
	signer, err := NewJWSSigner(jose.JSONWebKey{Key: priv, Algorithm: "ES256"}, header)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Sign([]byte(`{"jti":"j"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0]); !bytes.Equal(got, header) {
		t.Errorf("header %s, want %s", got, header)
	}
	if got, err := verifyCompact(tok, jose.JSONWebKey{Key: &priv.PublicKey, Algorithm: "ES256"}); err != nil || string(got) != `{"jti":"j"}` {
		t.Errorf("go-jose verify: %q, %v", got, err)
	}
	for _, h := range []string{`{"alg":"ES384"}`, `{"typ":"JWT"}`, `not json`} {
		if _, err := NewJWSSigner(jose.JSONWebKey{Key: priv, Algorithm: "ES256"}, []byte(h)); err == nil {
			t.Errorf("header %s for an ES256 key accepted", h)
		}
	}
}
