package mint

import (
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"time"
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
	// RFC 7800 / RFC 9449 §6: the key an access token is bound to.
	"cnf": true,
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
	p := idJSON{
		Issuer:    m.issuer,
		Subject:   c.Subject,
		Audience:  c.Audience,
		Expiry:    unixOrZero(c.ExpiresAt),
		IssuedAt:  unixOrZero(c.IssuedAt),
		AuthTime:  unixOrZero(c.AuthTime),
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
	return m.signPayload(alg, typIDToken, &p, c.Extra)
}

// halfHash is the at_hash / c_hash of value for a token signed with alg
// (OIDC Core §3.3.2.11): hash the ASCII octets with the hash of the JWS alg,
// keep the left-most half, base64url-encode it.
func halfHash(alg, value string) (string, error) {
	// Hash a copy on the stack: []byte(value) would copy a whole access
	// token to the heap on every ID token.
	var stack [2048]byte
	in := stack[:copy(stack[:], value)]
	if len(value) > len(stack) {
		in = []byte(value)
	}
	var sum [sha512.Size]byte
	var n int
	switch alg {
	case "RS256", "ES256", "PS256":
		s := sha256.Sum256(in)
		n = copy(sum[:], s[:])
	case "RS384", "ES384", "PS384":
		s := sha512.Sum384(in)
		n = copy(sum[:], s[:])
	case "RS512", "ES512", "PS512":
		s := sha512.Sum512(in)
		n = copy(sum[:], s[:])
	default:
		return "", fmt.Errorf("mint: no at_hash/c_hash rule for %q", alg)
	}
	return b64.EncodeToString(sum[:n/2]), nil
}
