package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	jose "github.com/go-jose/go-jose/v4"
)

// prover signs DPoP proofs (RFC 9449 §4.2) with one P-256 key, kept in a
// file so that grants bound to it by -prefill can be driven by later
// invocations. Every chain shares the key: the server binds each grant's
// refresh tokens to the key's thumbprint, and refuses a proof's jti seen
// before, so one key proves nothing less than one per chain would.
type prover struct {
	signer jose.Signer
	jkt    string // the key's JWK SHA-256 thumbprint (RFC 7638), base64url
}

// loadProver reads the PKCS#8 PEM private key at path, or, when there is
// no file, generates one and writes it (0600, never over another file).
func loadProver(path string) (*prover, error) {
	b, err := os.ReadFile(path)
	var key *ecdsa.PrivateKey
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("-dpop: %w", err)
		}
		if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			return nil, fmt.Errorf("-dpop: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("-dpop: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("-dpop: %w", err)
	default:
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("-dpop %s: not a PEM PRIVATE KEY (PKCS#8)", path)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("-dpop %s: %w", path, err)
		}
		ec, ok := k.(*ecdsa.PrivateKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("-dpop %s: want a P-256 key (ES256)", path)
		}
		key = ec
	}
	return newProver(key)
}

func newProver(key *ecdsa.PrivateKey) (*prover, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		return nil, err
	}
	tp, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &prover{signer: s, jkt: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// proof is a new proof for a POST to htu (the endpoint's URL without query
// or fragment, §4.2), with the server's nonce when it handed one out (§8).
func (p *prover) proof(htu, nonce string, now int64) (string, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	claims, err := json.Marshal(struct {
		JTI   string `json:"jti"`
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		IAT   int64  `json:"iat"`
		Nonce string `json:"nonce,omitempty"`
	}{base64.RawURLEncoding.EncodeToString(jti[:]), "POST", htu, now, nonce})
	if err != nil {
		return "", err
	}
	jws, err := p.signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
