package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// The tool writes its proofs by hand. Each must be a proof a JOSE library
// written by others reads as the tool meant it (ES256 over the first two
// parts, typ dpop+jwt, the key's public jwk, whose thumbprint is the jkt
// the prefill binds grants to), and one the server's verifier accepts.
func TestProofIsAValidDPoPProof(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newProver(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const htu = "http://127.0.0.1:8090/connect/token"
	v := &dpop.Verifier{JTI: memstore.New(), Now: func() time.Time { return now }, Window: time.Minute, Skew: 5 * time.Second}
	seen := map[string]bool{}
	for i, nonce := range []string{"", `n-"quoted"\`, ""} {
		proof, err := p.proof(htu, nonce, now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatalf("proof %d: go-jose: %v", i, err)
		}
		h := jws.Signatures[0].Header
		if h.ExtraHeaders["typ"] != "dpop+jwt" || h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
			t.Fatalf("proof %d: header %+v, want typ dpop+jwt and a public jwk", i, h)
		}
		payload, err := jws.Verify(&key.PublicKey)
		if err != nil {
			t.Fatalf("proof %d: the signature does not verify with the prover's key: %v", i, err)
		}
		tp, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
		if err != nil || base64.RawURLEncoding.EncodeToString(tp) != p.jkt {
			t.Fatalf("proof %d: the jwk's thumbprint is not the prover's jkt %s (%v)", i, p.jkt, err)
		}
		var cl struct {
			JTI, HTM, HTU, Nonce string
			IAT                  int64
		}
		if err := json.Unmarshal(payload, &cl); err != nil {
			t.Fatal(err)
		}
		if cl.HTM != "POST" || cl.HTU != htu || cl.IAT != now.Unix() || cl.Nonce != nonce || cl.JTI == "" || seen[cl.JTI] {
			t.Fatalf("proof %d: claims %+v, want POST to %s at %d with nonce %q and a fresh jti", i, cl, htu, now.Unix(), nonce)
		}
		seen[cl.JTI] = true
		if nonce != "" {
			continue // the verifier below wants no nonce
		}
		got, err := v.Verify(context.Background(), proof, dpop.Check{Method: "POST", URL: htu})
		if err != nil || got.JKT != p.jkt {
			t.Fatalf("proof %d: the server's verifier: %+v, %v; want jkt %s", i, got, err, p.jkt)
		}
	}
	// A proof is its signature: one changed bit in it fails.
	proof, err := p.proof(htu, "", now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndexByte(proof, '.') + 1
	sig, err := base64.RawURLEncoding.DecodeString(proof[i:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("the signature is not 64 bytes of base64url: %d, %v", len(sig), err)
	}
	sig[5] ^= 1
	flipped := proof[:i] + base64.RawURLEncoding.EncodeToString(sig)
	if _, err := v.Verify(context.Background(), flipped, dpop.Check{Method: "POST", URL: htu}); err == nil {
		t.Fatal("a proof with a changed signature was accepted")
	}
}
