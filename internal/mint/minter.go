package mint

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/keys"
)

// JOSE "typ" header values (RFC 7515 §4.1.9).
const (
	// typAccessToken marks RFC 9068 access tokens (§2.1), so that no other
	// JWT (an ID token above all) can be passed off as one (§4, RFC 8725 §3.11).
	typAccessToken = "at+jwt"
	// typIDToken is the "typ" OIDC Core and RFC 7519 §5.1 suggest.
	typIDToken = "JWT"
)

// Minter signs the JWTs of one issuer. It is safe for concurrent use.
type Minter struct {
	keys   *keys.Set
	issuer string
}

// NewMinter returns a Minter that signs with ks as issuer (the "iss" of
// every token, OIDC Discovery §3).
func NewMinter(ks *keys.Set, issuer string) *Minter {
	return &Minter{keys: ks, issuer: issuer}
}

// AccessClaims are the claims of a JWT access token (RFC 9068 §2.2).
type AccessClaims struct {
	Subject   string
	Audience  []string
	ClientID  string
	Scopes    []string // joined with spaces into "scope" (RFC 9068 §2.2.3)
	ID        string   // jti; a random one is made when empty
	IssuedAt  time.Time
	ExpiresAt time.Time
	AuthTime  time.Time // auth_time when not zero (RFC 9068 §2.2.1)
	SessionID string    // sid when not empty
	// JKT, when set, binds the token to a DPoP key: cnf.jkt (RFC 9449 §6.1).
	JKT string
	// Extra are the user's identity claims (RFC 9068 §2.2.3.1); registered
	// names are dropped, as for ID tokens.
	Extra map[string]any
}

// accessPayload is the JSON of an access token as verification decodes it
// (minting writes accessJSON). RFC 9068 omits nbf; Tollgate does not set
// it, so a resource server whose clock runs a little behind does not
// reject a fresh token.
type accessPayload struct {
	Issuer    string          `json:"iss"`
	Subject   string          `json:"sub"`
	Audience  jwt.Audience    `json:"aud"`
	Expiry    jwt.NumericDate `json:"exp"`
	IssuedAt  jwt.NumericDate `json:"iat"`
	NotBefore jwt.NumericDate `json:"nbf,omitempty"`
	ID        string          `json:"jti"`
	ClientID  string          `json:"client_id"`
	Scope     string          `json:"scope,omitempty"`
	AuthTime  jwt.NumericDate `json:"auth_time,omitempty"`
	SessionID string          `json:"sid,omitempty"`
	Cnf       confirmation    `json:"cnf"`
}

// AccessToken returns c as an RFC 9068 JWT signed with the newest key for
// alg, with "typ": "at+jwt" and "kid" in its header (§2.1).
func (m *Minter) AccessToken(c AccessClaims, alg string) (string, error) {
	// RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED.
	if c.Subject == "" || c.ClientID == "" || len(c.Audience) == 0 {
		return "", errors.New("mint: an access token needs a subject, a client id and an audience")
	}
	if err := checkTimes(c.IssuedAt, c.ExpiresAt); err != nil {
		return "", err
	}
	if c.ID == "" {
		c.ID = NewID()
	}
	p := accessJSON{
		Issuer:    m.issuer,
		Subject:   c.Subject,
		Audience:  audience(c.Audience),
		Expiry:    unixOrZero(c.ExpiresAt),
		IssuedAt:  unixOrZero(c.IssuedAt),
		ID:        c.ID,
		ClientID:  c.ClientID,
		Scope:     strings.Join(c.Scopes, " "),
		AuthTime:  unixOrZero(c.AuthTime),
		SessionID: c.SessionID,
	}
	if c.JKT != "" {
		p.Cnf = &confirmation{JKT: c.JKT}
	}
	return m.signPayload(alg, typAccessToken, &p, c.Extra)
}

// sign signs payload as a compact JWS (RFC 7515 §7.1) with the newest key
// for alg and a "typ" header, through keys.JWSSigner: Tollgate's own
// serialization over the standard library's signatures, its protected
// header encoded once per key. Building the claims with go-jose's
// jwt.Signed(...).Claims(...) would marshal them, decode them into a map
// and marshal the map again; see BenchmarkAccessTokenES256JWTBuilder.
func (m *Minter) sign(alg, typ string, payload []byte) (string, error) {
	signer, err := m.keys.JWSSigner(alg, typ)
	if err != nil {
		return "", fmt.Errorf("mint: %w", err)
	}
	return signer.Sign(payload)
}

func checkTimes(iat, exp time.Time) error {
	if iat.IsZero() || !exp.After(iat) {
		return errors.New("mint: a token needs an issue time and a later expiry")
	}
	return nil
}

// NewID returns a fresh identifier of 128 random bits, base64url: a jti
// (RFC 7519 §4.1.7), a grant id, a session's public sid.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return b64.EncodeToString(b[:])
}
