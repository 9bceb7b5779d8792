package main

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
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

// loadProver reads the key file of -dpop (loadKey).
func loadProver(path string) (*prover, error) {
	key, _, err := loadKey("-dpop", path)
	if err != nil {
		return nil, err
	}
	return newProver(key)
}

func newProver(key *ecdsa.PrivateKey) (*prover, error) {
	jwk, jkt, err := publicJWK(key) // RFC 7638's members and order: a valid header jwk
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return &prover{key: key, header: b64([]byte(`{"alg":"ES256","jwk":` + jwk + `,"typ":"dpop+jwt"}`)), jkt: jkt}, nil
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
	return es256JWS(p.key, p.header, claims)
}
