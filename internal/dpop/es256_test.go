package dpop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// p256Key takes a bare P-256 jwk, and nothing else, and its thumbprint is
// go-jose's.
func TestP256Key(t *testing.T) {
	f := newFixture(t)
	want, err := Thumbprint(&jose.JSONWebKey{Key: &f.key.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	x, y := f.jwk["x"].(string), f.jwk["y"].(string)
	xb, _ := b64.DecodeString(x)
	yb, _ := b64.DecodeString(y)
	jwk := func(members string) string { return `{"kty":"EC","crv":"P-256",` + members + `}` }
	xy := func(x, y string) string { return jwk(`"x":"` + x + `","y":"` + y + `"`) }
	for _, c := range []struct {
		name, jwk string
		ok        bool
	}{
		{"bare", xy(x, y), true},
		{"members in another order", `{"y":"` + y + `","x":"` + x + `","crv":"P-256","kty":"EC"}`, true},
		{"x spelt with a JSON escape", xy(`\u00`+hex2(x[0])+x[1:], y), true},
		{"x with a line break", xy(x[:20]+`\n`+x[20:], y), true},
		{"a kid", jwk(`"x":"` + x + `","y":"` + y + `","kid":"k"`), false},
		{"X for x", jwk(`"X":"` + x + `","y":"` + y + `"`), false},
		{"no y", jwk(`"x":"` + x + `","use":"sig"`), false},
		{"kty RSA", `{"kty":"RSA","crv":"P-256","x":"` + x + `","y":"` + y + `"}`, false},
		{"crv P-384", `{"kty":"EC","crv":"P-384","x":"` + x + `","y":"` + y + `"}`, false},
		{"x a number", jwk(`"x":7,"y":"` + y + `"`), false},
		{"x padded", xy(x+"=", y), false},
		{"x with stray bits", xy(x[:42]+string(strayBit(x[42])), y), false},
		{"x of 31 bytes", xy(b64.EncodeToString(xb[1:]), y), false},
		{"x of 33 bytes", xy(b64.EncodeToString(append([]byte{0}, xb...)), y), false},
		{"a point off the curve", xy(x, x), false},
		{"x twice", jwk(`"x":"` + y + `","x":"` + x + `","y":"` + y + `"`), false},
		{"x short by the byte y has extra", xy(b64.EncodeToString(xb[:31]), b64.EncodeToString(append(xb[31:], yb...))), false},
	} {
		jwk, err := readObject([]byte(c.jwk))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		key, jkt, ok := p256Key(jwk)
		if ok != c.ok {
			t.Errorf("%s (%s): ok %v, want %v", c.name, c.jwk, ok, c.ok)
			continue
		}
		if ok && (jkt != want || !key.Equal(&f.key.PublicKey)) {
			t.Errorf("%s: jkt %s, want go-jose's %s", c.name, jkt, want)
		}
	}
}

// strayBit sets the lowest bit of the last character of a 32-byte value
// in base64url: 43 characters carry 258 bits, and the last two must be 0.
func strayBit(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return alphabet[strings.IndexByte(alphabet, c)|1]
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// Every proof gets the same answer whether its signature is checked by the
// standard library (es256.go) or by go-jose: accepted with the same jkt, or
// refused with the same code and description.
func TestFastPathAgreesWithGoJose(t *testing.T) {
	f := newFixture(t)
	for name, proof := range proofVariants(f) {
		fast, slow := f.both(proof)
		if fast != slow {
			t.Errorf("%s:\n fast path: %s\n go-jose:   %s", name, fast, slow)
		}
	}
}

// proofVariants are proofs of the shapes the fast path decides, and of
// shapes next to them that it must leave to go-jose.
func proofVariants(f *fixture) map[string]string {
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	n := elliptic.P256().Params().N
	with := func(edit func(h, c map[string]any)) string {
		h, c := f.header(), f.claims()
		edit(h, c)
		return f.es256(h, c)
	}
	withSig := func(edit func(sig []byte) []byte) string {
		p := f.es256(f.header(), f.claims())
		i := strings.LastIndexByte(p, '.')
		sig, _ := b64.DecodeString(p[i+1:])
		return p[:i+1] + b64.EncodeToString(edit(sig))
	}
	jwk := func(edit func(m map[string]any)) string {
		return with(func(h, _ map[string]any) {
			m := map[string]any{}
			for k, v := range f.jwk {
				m[k] = v
			}
			edit(m)
			h["jwk"] = m
		})
	}
	// raw signs a header written by hand, with the fixture's claims.
	raw := func(h string) string {
		cb, _ := json.Marshal(f.claims())
		return f.signed([]byte(h), cb)
	}
	own, _ := json.Marshal(f.jwk)
	another, _ := json.Marshal(jwkMap(f.t, &other.PublicKey))
	good := f.es256(f.header(), f.claims())
	i := strings.LastIndexByte(good, '.')
	return map[string]string{
		"bare":            good,
		"typ application": with(func(h, _ map[string]any) { h["typ"] = "application/dpop+jwt" }),
		"a kid":           with(func(h, _ map[string]any) { h["kid"] = "k1" }),
		"crit":            with(func(h, _ map[string]any) { h["crit"] = []string{"exp"}; h["exp"] = 1 }),
		"b64 false":       with(func(h, _ map[string]any) { h["b64"] = false; h["crit"] = []string{"b64"} }),
		"jwk with a kid":  jwk(func(m map[string]any) { m["kid"] = "k1" }),
		"jwk with alg":    jwk(func(m map[string]any) { m["alg"] = "ES256" }),
		"jwk of another": jwk(func(m map[string]any) {
			m["x"], m["y"] = jwkMap(f.t, &other.PublicKey)["x"], jwkMap(f.t, &other.PublicKey)["y"]
		}),
		"jwk off curve":    jwk(func(m map[string]any) { m["y"] = m["x"] }),
		"jwk P-384":        jwk(func(m map[string]any) { m["crv"] = "P-384" }),
		"jwk P-384 key":    with(func(h, _ map[string]any) { h["jwk"] = jwkMap(f.t, &p384.PublicKey) }),
		"jwk x stray bits": jwk(func(m map[string]any) { x := m["x"].(string); m["x"] = x[:42] + string(strayBit(x[42])) }),
		"jwk x padded":     jwk(func(m map[string]any) { m["x"] = m["x"].(string) + "=" }),
		"jwk x short, y long": jwk(func(m map[string]any) { // the same 64 bytes, split at 31
			xb, _ := b64.DecodeString(m["x"].(string))
			yb, _ := b64.DecodeString(m["y"].(string))
			m["x"], m["y"] = b64.EncodeToString(xb[:31]), b64.EncodeToString(append(xb[31:], yb...))
		}),
		"jwk private": with(func(h, _ map[string]any) { h["jwk"] = jwkMap(f.t, f.key) }),
		"sig flipped": withSig(func(s []byte) []byte { s[9] ^= 0x40; return s }),
		"sig high s": withSig(func(s []byte) []byte { // (r, n-s) verifies as well (ECDSA's malleability)
			v := new(big.Int).Sub(n, new(big.Int).SetBytes(s[32:]))
			v.FillBytes(s[32:])
			return s
		}),
		"sig r zero":     withSig(func(s []byte) []byte { clear(s[:32]); return s }),
		"sig s is n":     withSig(func(s []byte) []byte { n.FillBytes(s[32:]); return s }),
		"sig 63 bytes":   withSig(func(s []byte) []byte { return s[1:] }),
		"sig 65 bytes":   withSig(func(s []byte) []byte { return append([]byte{0}, s...) }),
		"sig padded":     good + "=",
		"sig not base64": good[:i+1] + "!" + good[i+2:],
		"sig empty":      good[:i+1],
		"payload padded": padPayload(good),
		"payload empty":  good[:strings.IndexByte(good, '.')+1] + good[i:],
		"claims changed": strings.Replace(good, good[strings.IndexByte(good, '.')+1:i], b64.EncodeToString([]byte(`{"jti":"x","htm":"POST","htu":"`+tokenURL+`","iat":1800000000}`)), 1),
		"header TYP":     with(func(h, _ map[string]any) { h["TYP"] = h["typ"]; delete(h, "typ") }),
		"header ALG":     with(func(h, _ map[string]any) { h["ALG"] = "ES256"; h["alg"] = "ES256" }),
		"alg ES384":      with(func(h, _ map[string]any) { h["alg"] = "ES384" }),
		// RFC 7515 §4: a parser may refuse a repeated name, and go-jose does.
		"jwk twice, its own last":  raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + string(another) + `,"jwk":` + string(own) + `}`),
		"jwk twice, its own first": raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + string(own) + `,"jwk":` + string(another) + `}`),
		"alg twice":                raw(`{"typ":"dpop+jwt","alg":"ES512","alg":"ES256","jwk":` + string(own) + `}`),
		"typ twice":                raw(`{"typ":"jwt","typ":"dpop+jwt","alg":"ES256","jwk":` + string(own) + `}`),
		"jwk x twice":              raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + strings.Replace(string(own), `"x":`, `"x":"AAAA","x":`, 1) + `}`),
		"header then garbage":      raw(`{"typ":"dpop+jwt","alg":"ES256","jwk":` + string(own) + `}x`),
	}
}

// padPayload pads the payload segment with "=", which go-jose tolerates.
func padPayload(p string) string {
	parts := strings.Split(p, ".")
	if len(parts[1])%4 == 0 {
		return p
	}
	return parts[0] + "." + parts[1] + strings.Repeat("=", 4-len(parts[1])%4) + "." + parts[2]
}

// both verifies proof through the fast path and through go-jose alone,
// each with a fresh jti store, and says what each answered.
func (f *fixture) both(proof string) (fast, slow string) {
	answer := func(goJoseOnly bool) string {
		v := &Verifier{JTI: memstore.New(), Now: func() time.Time { return f.now }, Window: 60 * time.Second, Skew: 5 * time.Second, goJoseOnly: goJoseOnly}
		p, err := v.Verify(context.Background(), proof, post())
		if err != nil {
			e := oautherr.As(err)
			return "refused: " + e.Code + ": " + e.Description
		}
		return "accepted: " + p.JKT
	}
	return answer(false), answer(true)
}

// The fuzzer looks for a proof the two paths answer differently.
func FuzzFastPathAgreesWithGoJose(f *testing.F) {
	fx := newFixture(&testing.T{})
	for _, p := range proofVariants(fx) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, proof string) {
		if fast, slow := fx.both(proof); fast != slow {
			t.Fatalf("%q:\n fast path: %s\n go-jose:   %s", proof, fast, slow)
		}
	})
}

// The fast path against go-jose, on the proof of every DPoP-bound refresh
// (`go test -run '^$' -bench VerifyES256 ./internal/dpop/`).
func BenchmarkVerifyES256(b *testing.B) {
	for _, c := range []struct {
		name       string
		goJoseOnly bool
	}{{"fast", false}, {"go-jose", true}} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(&testing.T{})
			v := &Verifier{JTI: nopJTI{}, Now: func() time.Time { return f.now }, Window: time.Minute, Skew: 5 * time.Second, goJoseOnly: c.goJoseOnly}
			proof := f.es256(f.header(), f.claims())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), proof, post()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type nopJTI struct{}

func (nopJTI) UseJTI(context.Context, string, string, time.Time, time.Time) error { return nil }
