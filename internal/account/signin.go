package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
)

// Redeemer redeems an authorization code: grant.Handler, in process.
type Redeemer interface {
	Exchange(ctx context.Context, req grant.Request) (*grant.Response, error)
}

// KeySet publishes the server's signing keys: keys.Set.
type KeySet interface {
	JWKS() jose.JSONWebKeySet
}

// idTokenAlgs are the JWS algorithms Tollgate signs ID tokens with.
var idTokenAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// random is 32 bytes from crypto/rand, base64url: state, nonce, verifier
// (RFC 7636 §4.1: 43 characters of the unreserved set).
func random() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// challenge is the S256 code_challenge of a verifier (RFC 7636 §4.2).
func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL is the authorization request of the account page's client:
// response_type code, scope openid, PKCE S256, state and nonce (OpenID
// Connect Core §3.1.2.1), and ui_locales passed on so the login page speaks
// the language the account page was asked in.
func authorizeURL(issuer string, cl *config.Client, p pending, uiLocales string) string {
	q := url.Values{
		"client_id":             {cl.ID},
		"response_type":         {"code"},
		"scope":                 {config.ScopeOpenID},
		"redirect_uri":          {cl.RedirectURIs[0]},
		"state":                 {p.State},
		"nonce":                 {p.Nonce},
		"code_challenge":        {challenge(p.Verifier)},
		"code_challenge_method": {"S256"},
	}
	if uiLocales != "" {
		q.Set("ui_locales", uiLocales)
	}
	return issuer + "/connect/authorize?" + q.Encode()
}

// idClaims are the claims of the ID token the callback checks.
type idClaims struct {
	Iss   string          `json:"iss"`
	Sub   string          `json:"sub"`
	Aud   json.RawMessage `json:"aud"`
	Exp   int64           `json:"exp"`
	Nonce string          `json:"nonce"`
	SID   string          `json:"sid"`
	Name  string          `json:"name"`
	User  string          `json:"preferred_username"`
}

var errIDToken = errors.New("account: the ID token is not valid")

// verifyIDToken checks the ID token the code exchange returned, as OpenID
// Connect Core §3.1.3.7 asks of a client: the signature by a published key,
// iss the issuer, aud holding the client (and azp unneeded with one
// audience), exp in the future, and the nonce of this sign-in (§3.1.2.1).
func verifyIDToken(raw string, ks KeySet, issuer, clientID, nonce string, now time.Time) (idClaims, error) {
	jws, err := jose.ParseSigned(raw, idTokenAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return idClaims{}, fmt.Errorf("%w: %v", errIDToken, err)
	}
	jwks := ks.JWKS()
	keys := jwks.Key(jws.Signatures[0].Protected.KeyID)
	if len(keys) == 0 {
		return idClaims{}, fmt.Errorf("%w: unknown key", errIDToken)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		return idClaims{}, fmt.Errorf("%w: %v", errIDToken, err)
	}
	var c idClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return idClaims{}, fmt.Errorf("%w: %v", errIDToken, err)
	}
	var aud []string
	if json.Unmarshal(c.Aud, &aud) != nil {
		var one string
		if json.Unmarshal(c.Aud, &one) != nil {
			return idClaims{}, fmt.Errorf("%w: aud", errIDToken)
		}
		aud = []string{one}
	}
	switch {
	case c.Iss != issuer:
		return idClaims{}, fmt.Errorf("%w: iss %q", errIDToken, c.Iss)
	case !slices.Contains(aud, clientID):
		return idClaims{}, fmt.Errorf("%w: aud %v", errIDToken, aud)
	case now.Unix() >= c.Exp:
		return idClaims{}, fmt.Errorf("%w: expired", errIDToken)
	case nonce == "" || c.Nonce != nonce:
		return idClaims{}, fmt.Errorf("%w: nonce", errIDToken)
	case c.Sub == "":
		return idClaims{}, fmt.Errorf("%w: no sub", errIDToken)
	}
	return c, nil
}
