package main

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
)

// asserter signs private_key_jwt client assertions (RFC 7523 §2.2, §3)
// with one P-256 key, as the prover signs DPoP proofs: the header encoded
// once, and for each request a fresh jti and aud the URL of the endpoint
// it goes to, which the server accepts at that endpoint only.
type asserter struct {
	key      *ecdsa.PrivateKey
	clientID string
	header   string // base64url: ES256, the key's kid, typ client-authentication+jwt
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
	jwk, kid, err := publicJWK(key)
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
	jwk = jwk[:len(jwk)-1] + `,"kid":"` + kid + `","alg":"ES256","use":"sig"}`
	return &asserter{key: key, clientID: clientID, header: base64.RawURLEncoding.EncodeToString(header), jwk: jwk}, nil
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
	return es256JWS(a.key, a.header, claims)
}
