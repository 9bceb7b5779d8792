package mint

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// IDClaims are the claims of an OpenID Connect ID token (OIDC Core §2).
type IDClaims struct {
	Subject         string
	Audience        string // the client id (OIDC Core §2 "aud")
	Nonce           string // echoed from the authentication request (§3.1.2.1)
	SessionID       string // sid (OIDC Front-/Back-Channel Logout)
	AuthorizedParty string // azp (§2)
	AMR             []string
	IssuedAt        time.Time
	ExpiresAt       time.Time
	AuthTime        time.Time
	// AccessToken and Code, when set, are hashed into at_hash and c_hash
	// (§3.3.2.11); the values themselves never enter the token.
	AccessToken string
	Code        string
	// Extra are user claims (§5.1). A name that is one of the registered
	// claims below is dropped: the registered value always wins.
	Extra map[string]any
}

// registered are the claim names Extra may not set: RFC 7519 §4.1 and the
// ID token claims of OIDC Core §2, §3.1.3.6, §3.3.2.11 and Back-Channel
// Logout §2.4 (sid).
var registered = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true,
	"auth_time": true, "nonce": true, "acr": true, "amr": true, "azp": true,
	"at_hash": true, "c_hash": true, "sid": true,
	// RFC 9068 §2.2 access-token claims, so user claims never shadow them.
	"client_id": true, "scope": true,
}

type idPayload struct {
	Issuer    string          `json:"iss"`
	Subject   string          `json:"sub"`
	Audience  string          `json:"aud"`
	Expiry    jwt.NumericDate `json:"exp"`
	IssuedAt  jwt.NumericDate `json:"iat"`
	AuthTime  jwt.NumericDate `json:"auth_time"`
	Nonce     string          `json:"nonce,omitempty"`
	SessionID string          `json:"sid,omitempty"`
	AMR       []string        `json:"amr,omitempty"`
	AZP       string          `json:"azp,omitempty"`
	AtHash    string          `json:"at_hash,omitempty"`
	CHash     string          `json:"c_hash,omitempty"`
}

// IDToken returns c as an ID token signed with the newest key for alg, with
// "typ": "JWT" and "kid" in its header. auth_time is always present: OIDC
// Core §2 requires it when max_age is asked for, and it costs nothing.
func (m *Minter) IDToken(c IDClaims, alg string) (string, error) {
	if c.Subject == "" || c.Audience == "" || c.AuthTime.IsZero() {
		return "", errors.New("mint: an ID token needs a subject, an audience and an auth time")
	}
	if err := checkTimes(c.IssuedAt, c.ExpiresAt); err != nil {
		return "", err
	}
	p := idPayload{
		Issuer:    m.issuer,
		Subject:   c.Subject,
		Audience:  c.Audience,
		Expiry:    numericDate(c.ExpiresAt),
		IssuedAt:  numericDate(c.IssuedAt),
		AuthTime:  numericDate(c.AuthTime),
		Nonce:     c.Nonce,
		SessionID: c.SessionID,
		AMR:       c.AMR,
		AZP:       c.AuthorizedParty,
	}
	var err error
	if c.AccessToken != "" {
		if p.AtHash, err = halfHash(alg, c.AccessToken); err != nil {
			return "", err
		}
	}
	if c.Code != "" {
		if p.CHash, err = halfHash(alg, c.Code); err != nil {
			return "", err
		}
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("mint: encoding ID token claims: %w", err)
	}
	if payload, err = appendExtra(payload, c.Extra); err != nil {
		return "", err
	}
	return m.sign(alg, typIDToken, payload)
}

// appendExtra splices the user claims into the JSON object obj, leaving out
// any registered name.
func appendExtra(obj []byte, extra map[string]any) ([]byte, error) {
	if len(extra) == 0 {
		return obj, nil
	}
	clean := extra
	for k := range extra {
		if registered[k] {
			clean = maps.Clone(extra)
			maps.DeleteFunc(clean, func(k string, _ any) bool { return registered[k] })
			break
		}
	}
	if len(clean) == 0 {
		return obj, nil
	}
	more, err := json.Marshal(clean)
	if err != nil {
		return nil, fmt.Errorf("mint: encoding user claims: %w", err)
	}
	// obj is "{...}" with at least "iss" in it, more is "{...}" with at
	// least one member: join them as "{..., ...}".
	out := append(obj[:len(obj)-1], ',')
	return append(out, more[1:]...), nil
}

// halfHash is the at_hash / c_hash of value for a token signed with alg
// (OIDC Core §3.3.2.11): hash the ASCII octets with the hash of the JWS alg,
// keep the left-most half, base64url-encode it.
func halfHash(alg, value string) (string, error) {
	var d hash.Hash
	switch alg {
	case "RS256", "ES256", "PS256":
		d = sha256.New()
	case "RS384", "ES384", "PS384":
		d = sha512.New384()
	case "RS512", "ES512", "PS512":
		d = sha512.New()
	default:
		return "", fmt.Errorf("mint: no at_hash/c_hash rule for %q", alg)
	}
	d.Write([]byte(value))
	sum := d.Sum(nil)
	return b64.EncodeToString(sum[:len(sum)/2]), nil
}
