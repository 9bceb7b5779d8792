package dpop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// An iat centuries ahead (within the 1e11 bound, beyond what nanoseconds
// in an int64 hold) is a proof from the future, not one "made more than
// 1m ago": the description must point the developer at the clock.
func TestIATFarFutureSaysFuture(t *testing.T) {
	for _, iat := range []float64{9.3e9, 5e10, 99999999999} {
		f := newFixture(t)
		c := f.claims()
		c["iat"] = iat
		_, err := f.verify(f.es256(f.header(), c), post())
		wantCode(t, err, InvalidProof, "future")
	}
}

// FuzzVerifyProof: whatever a client puts in the DPoP header, Verify
// answers an RFC 9449 error a client can act on (never a panic, never a
// server error), and accepts nothing but a proof it can name by key.
func FuzzVerifyProof(f *testing.F) {
	fx := newFixture(&testing.T{})
	f.Add(fx.es256(fx.header(), fx.claims()), "")
	c := fx.claims()
	c["ath"] = TokenHash("at")
	f.Add(fx.es256(fx.header(), c), "at")
	c = fx.claims()
	c["iat"] = 5e10
	f.Add(fx.es256(fx.header(), c), "")
	h := fx.header()
	h["jwk"] = map[string]any{"kty": "RSA", "n": "AQAB", "e": "AQAB"}
	f.Add(fx.es256(h, fx.claims()), "")
	f.Add("e30.e30.", "")
	f.Add("..", "")
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7fX0.e30.AA", "")
	now := fx.now
	f.Fuzz(func(t *testing.T, proof, at string) {
		v := &Verifier{JTI: memstore.New(), Now: func() time.Time { return now }, Window: time.Minute, Skew: 5 * time.Second}
		p, err := v.Verify(context.Background(), proof, Check{Method: "POST", URL: tokenURL, AccessToken: at})
		if err != nil {
			e, ok := err.(*oautherr.Error)
			if !ok || e.Status >= 500 || (e.Code != InvalidProof && e.Code != UseNonce) || e.Description == "" {
				t.Fatalf("Verify(%q) = %#v", proof, err)
			}
			if proof != "" && len(proof) > 16 && strings.Contains(e.Description, proof) {
				t.Fatalf("description echoes the whole proof: %q", e.Description)
			}
			return
		}
		if !ValidJKT(p.JKT) {
			t.Fatalf("accepted %q with jkt %q", proof, p.JKT)
		}
	})
}

// NonceFirst asks for the nonce before anything is recorded: the same
// proof, once it carries the nonce, still verifies (its jti unused); a
// proof with a current nonce, or one Verify must judge, passes.
func TestNonceFirstRecordsNothing(t *testing.T) {
	f := newFixture(t)
	f.v.Nonces = NewNonces([]byte("0123456789abcdef0123456789abcdef"), time.Minute, func() time.Time { return f.now })
	c := f.claims()
	wantCode(t, f.v.NonceFirst(f.es256(f.header(), c)), UseNonce, "requires a nonce")
	c["nonce"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	wantCode(t, f.v.NonceFirst(f.es256(f.header(), c)), UseNonce, "stale")
	c["nonce"] = f.v.Nonces.Current()
	p := f.es256(f.header(), c)
	if err := f.v.NonceFirst(p); err != nil {
		t.Fatalf("a current nonce: %v", err)
	}
	if _, err := f.verify(p, post()); err != nil {
		t.Fatalf("the proof after NonceFirst: %v", err)
	}
	for _, junk := range []string{"", "x", "a.b", "a.!!.c", "a.e30.c", "a." + b64.EncodeToString([]byte(`{"nonce":1}`)) + ".c"} {
		if err := f.v.NonceFirst(junk); err != nil && !strings.HasPrefix(junk, "a.e30") {
			t.Errorf("NonceFirst(%q) = %v; Verify judges junk", junk, err)
		}
	}
	f.v.Nonces = nil
	if err := f.v.NonceFirst(f.es256(f.header(), f.claims())); err != nil {
		t.Fatalf("nonces off: %v", err)
	}
}
