package main

import (
	"crypto/ecdsa"
	"encoding/json"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// prover signs DPoP proofs (RFC 9449 §4.2) with one P-256 key, kept in a
// file so that grants bound to it by -prefill can be driven by later
// invocations. Every chain shares the key: the server binds each grant's
// refresh tokens to the key's thumbprint, and refuses a proof's jti seen
// before, so one key proves nothing less than one per chain would.
type prover struct {
	signer *keys.JWSSigner // ES256 under the header ES256, the public jwk, typ dpop+jwt
	jkt    string          // the key's JWK SHA-256 thumbprint (RFC 7638), base64url
}

// loadProver reads the key file of -dpop (loadKey).
func loadProver(path string) (*prover, error) {
	key, _, err := loadKey("-dpop", path)
	if err != nil {
		return nil, err
	}
	return newProver(key)
}

func newProver(key *ecdsa.PrivateKey) (*prover, error) {
	pub := &jose.JSONWebKey{Key: &key.PublicKey}
	jwk, err := pub.MarshalJSON()
	if err != nil {
		return nil, err
	}
	jkt, err := dpop.Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	signer, err := keys.NewJWSSigner(jose.JSONWebKey{Key: key, Algorithm: "ES256"},
		[]byte(`{"alg":"ES256","jwk":`+string(jwk)+`,"typ":"dpop+jwt"}`))
	if err != nil {
		return nil, err
	}
	return &prover{signer: signer, jkt: jkt}, nil
}

// proof is a new proof for a POST to htu (the endpoint's URL without query
// or fragment, §4.2), with the server's nonce when it handed one out (§8).
// The header is the same for every proof, so it is encoded once.
func (p *prover) proof(htu, nonce string, now int64) (string, error) {
	claims, err := json.Marshal(struct {
		JTI   string `json:"jti"`
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		IAT   int64  `json:"iat"`
		Nonce string `json:"nonce,omitempty"`
	}{newJTI(), "POST", htu, now, nonce})
	if err != nil {
		return "", err
	}
	return p.signer.Sign(claims)
}
