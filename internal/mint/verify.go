package mint

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is wrapped by every failure of VerifyAccessToken. Callers
// map it to RFC 6750 §3.1 invalid_token, or to {"active": false} in
// introspection (RFC 7662 §2.2), without looking further.
var ErrInvalidToken = errors.New("mint: invalid token")

// acceptedAlgs are the only JWS algorithms verification accepts, so "none"
// and HMAC with a public key as secret (RFC 8725 §2.1, §3.1) never apply.
var acceptedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// maxTokenLen bounds the input before any decoding; our tokens are well
// under 2 KiB.
const maxTokenLen = 8 << 10

// notBeforeLeeway tolerates clock skew between nodes for an "nbf" claim.
// Tollgate writes none, so it only matters for a token of another shape.
const notBeforeLeeway = 5 * time.Second

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

// VerifyAccessToken checks an access token this Minter's issuer signed
// (RFC 9068 §4) and returns its claims: the signature with the key named by
// "kid", "typ" at+jwt (so an ID token is refused), iss, and exp after now
// (no leeway: the issuer's own nodes share one idea of time within a second,
// and refusing a token a second early is safe). It never panics.
func (m *Minter) VerifyAccessToken(tok string, now time.Time) (AccessClaims, error) {
	if len(tok) > maxTokenLen {
		return AccessClaims{}, invalid("too long")
	}
	jws, err := jose.ParseSignedCompact(tok, acceptedAlgs)
	if err != nil {
		return AccessClaims{}, invalid("%v", err)
	}
	if len(jws.Signatures) != 1 {
		return AccessClaims{}, invalid("want one signature")
	}
	h := jws.Signatures[0].Protected
	// RFC 9068 §4: reject unless typ is "at+jwt" or "application/at+jwt";
	// media types compare case-insensitively (RFC 7515 §4.1.9).
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if strings.TrimPrefix(strings.ToLower(typ), "application/") != typAccessToken {
		return AccessClaims{}, invalid("typ %q is not at+jwt", typ)
	}
	key, ok := m.keys.PublicKey(h.KeyID)
	if !ok {
		return AccessClaims{}, invalid("unknown kid %q", h.KeyID)
	}
	if key.Algorithm != h.Algorithm {
		return AccessClaims{}, invalid("alg %q does not match key %q", h.Algorithm, h.KeyID)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return AccessClaims{}, invalid("%v", err)
	}
	var p accessPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return AccessClaims{}, invalid("claims: %v", err)
	}
	if p.Issuer != m.issuer {
		return AccessClaims{}, invalid("issuer %q", p.Issuer)
	}
	if p.Expiry == 0 || !now.Before(p.Expiry.Time()) {
		return AccessClaims{}, invalid("expired")
	}
	if p.NotBefore != 0 && now.Add(notBeforeLeeway).Before(p.NotBefore.Time()) {
		return AccessClaims{}, invalid("not yet valid")
	}
	c := AccessClaims{
		Subject:   p.Subject,
		Audience:  []string(p.Audience),
		ClientID:  p.ClientID,
		Scopes:    strings.Fields(p.Scope),
		ID:        p.ID,
		IssuedAt:  dateTime(p.IssuedAt),
		ExpiresAt: dateTime(p.Expiry),
		AuthTime:  dateTime(p.AuthTime),
		SessionID: p.SessionID,
		JKT:       p.Cnf.JKT,
	}
	return c, nil
}

// dateTime maps an absent NumericDate to the zero time.
func dateTime(d jwt.NumericDate) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return d.Time().UTC()
}
