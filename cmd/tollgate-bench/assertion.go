package main

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// asserter signs private_key_jwt client assertions (RFC 7523 §2.2, §3)
// with one P-256 key, as the prover signs DPoP proofs: the header encoded
// once, and for each request a fresh jti and aud the URL of the endpoint
// it goes to, which the server accepts at that endpoint only.
type asserter struct {
	signer   *keys.JWSSigner // ES256 under the header ES256, the key's kid, typ client-authentication+jwt
	clientID string
	jwk      string // the public key to register in the client's jwks, with its kid
}

// assertionLife is how long an assertion is valid: a request is sent as
// soon as its assertion is made.
const assertionLife = time.Minute

// loadAsserter reads the key file of -assertion-key (loadKey). A key it
// made is news the server needs: it tells log the public key to register.
func loadAsserter(path, clientID string, log io.Writer) (*asserter, error) {
	key, created, err := loadKey("-assertion-key", path)
	if err != nil {
		return nil, err
	}
	a, err := newAsserter(key, clientID)
	if err == nil && created {
		fmt.Fprintf(log, "-assertion-key: made %s; register its public key in client %s's jwks:\n  {\"keys\": [%s]}\n", path, clientID, a.jwk)
	}
	return a, err
}

func newAsserter(key *ecdsa.PrivateKey, clientID string) (*asserter, error) {
	// kid: the key's RFC 7638 thumbprint, a name that needs no registry.
	kid, err := dpop.Thumbprint(&jose.JSONWebKey{Key: &key.PublicKey})
	if err != nil {
		return nil, err
	}
	jwk, err := (&jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}).MarshalJSON()
	if err != nil {
		return nil, err
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{"ES256", kid, clientauth.TypeClientAssertion})
	if err != nil {
		return nil, err
	}
	signer, err := keys.NewJWSSigner(jose.JSONWebKey{Key: key, Algorithm: "ES256"}, header)
	if err != nil {
		return nil, err
	}
	return &asserter{signer: signer, clientID: clientID, jwk: string(jwk)}, nil
}

// assertion is a new assertion for a request to endpoint at now.
func (a *asserter) assertion(endpoint string, now time.Time) (string, error) {
	claims, err := json.Marshal(struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		JTI string `json:"jti"`
		IAT int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{a.clientID, a.clientID, endpoint, newJTI(), now.Unix(), now.Add(assertionLife).Unix()})
	if err != nil {
		return "", err
	}
	return a.signer.Sign(claims)
}
