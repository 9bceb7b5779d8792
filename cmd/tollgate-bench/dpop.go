package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// prover signs DPoP proofs (RFC 9449 §4.2) with one P-256 key, kept in a
// file so that grants bound to it by -prefill can be driven by later
// invocations. Every chain shares the key: the server binds each grant's
// refresh tokens to the key's thumbprint, and refuses a proof's jti seen
// before, so one key proves nothing less than one per chain would.
type prover struct {
	key    *ecdsa.PrivateKey
	header string // the protected header, base64url: ES256, the public jwk, typ dpop+jwt
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
	pub, err := key.PublicKey.Bytes() // 0x04 || x || y, 32 bytes each
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	// RFC 7638 §3.2: the required members, in lexicographic order, no
	// whitespace; the same text is the header's jwk.
	jwk := `{"crv":"P-256","kty":"EC","x":"` + b64(pub[1:33]) + `","y":"` + b64(pub[33:]) + `"}`
	tp := sha256.Sum256([]byte(jwk))
	return &prover{key: key, header: b64([]byte(`{"alg":"ES256","jwk":` + jwk + `,"typ":"dpop+jwt"}`)), jkt: b64(tp[:])}, nil
}

// proof is a new proof for a POST to htu (the endpoint's URL without query
// or fragment, §4.2), with the server's nonce when it handed one out (§8).
// The header is the same for every proof, so it is encoded once; the
// signature is ES256's fixed 64 bytes of r and s (RFC 7518 §3.4). A
// load generator that spent more on each proof than a client does would
// take that CPU from the server it shares the machine with.
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
	enc := base64.RawURLEncoding
	n := len(p.header) + 1 + enc.EncodedLen(len(claims))
	b := make([]byte, n, n+1+enc.EncodedLen(64))
	copy(b, p.header)
	b[len(p.header)] = '.'
	enc.Encode(b[len(p.header)+1:], claims)
	digest := sha256.Sum256(b)
	r, s, err := ecdsa.Sign(rand.Reader, p.key, digest[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	b = append(b, '.')
	b = enc.AppendEncode(b, sig[:])
	return string(b), nil
}
