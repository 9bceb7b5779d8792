package requestobject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Error codes of RFC 9101 §6.3 and §10.4 (OIDC Core §6.4).
const (
	InvalidRequestObject   = "invalid_request_object"
	RequestURINotSupported = "request_uri_not_supported"
)

// Type is the explicit JOSE typ of a request object (RFC 9101 §10.8).
const Type = "oauth-authz-req+jwt"

const (
	// ClockSkew is the tolerance for the client's clock on exp and nbf.
	ClockSkew = 5 * time.Second
	// MaxNotBeforeAge: FAPI 2.0 Message Signing §5.3.2 item 5, "nbf ...
	// no longer than 60 minutes in the past".
	MaxNotBeforeAge = 60 * time.Minute
	// maxLen bounds the request parameter: a request object is a few
	// hundred bytes of parameters plus a signature.
	maxLen    = 16 << 10
	maxJTILen = 256
	// jtiNamespace keeps request-object jtis apart from client-assertion
	// jtis of the same client in the one replay store.
	jtiNamespace = "jar:"
)

// Algs are the signature algorithms a request object may use: asymmetric
// only, never none and never HS* (the client's key is public here). They
// are those of client assertions.
var algs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// Algs names them for discovery (request_object_signing_alg_values_supported).
var Algs = clientauth.AssertionAlgs

// Keys finds a client's public keys; *clientauth.Authenticator does.
type Keys interface {
	ClientKeys(ctx context.Context, cl *config.Client, kid string) (*jose.JSONWebKeySet, error)
}

// JTIStore remembers request-object ids; store.Store satisfies it.
type JTIStore interface {
	UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error
}

// Verifier checks request objects.
type Verifier struct {
	Issuer      string // the aud a request object must name
	Keys        Keys
	JTI         JTIStore
	MaxLifetime time.Duration    // request_object.max_lifetime; 0: 60 s
	Now         func() time.Time // nil: time.Now
}

func bad(format string, args ...any) *oautherr.Error {
	// RFC 9101 §6.3: "invalid_request_object: The request parameter
	// contains an invalid Request Object." Status 400.
	return &oautherr.Error{Code: InvalidRequestObject, Description: "request object: " + fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// Required enforces require_signed_request_object (RFC 9101 §10.5) on a
// request that carries no request object: invalid_request, since there is
// no request object to call invalid.
func Required(c *config.Client, p url.Values) error {
	if c.RequireSignedRequestObject && !p.Has("request") {
		return oautherr.New(oautherr.InvalidRequest, "client %q must send its authorization requests as a signed request object, in the request parameter (require_signed_request_object, RFC 9101 §10.5)", c.ID)
	}
	return nil
}

// Verified says whether an error came after the signature held: the
// parameters returned with it are the client's own, so the authorization
// endpoint may send the error to their redirect_uri once that is checked.
// Before, it must show a page (RFC 6749 §4.1.2.1).
func Verified(params url.Values) bool { return params != nil }

// Unwrap verifies the request object in p["request"] for client c and
// returns the parameters it carries, with client_id. pushed says the
// request came to the PAR endpoint, where (RFC 9126 §3) nothing but the
// request object and client authentication may be sent beside it. A
// returned error is an *oautherr.Error; the parameters returned with it
// are non-nil when the signature verified (see Verified).
func (v *Verifier) Unwrap(ctx context.Context, c *config.Client, p url.Values, pushed bool) (url.Values, error) {
	raw := p.Get("request")
	if len(p["request"]) > 1 {
		return nil, oautherr.New(oautherr.InvalidRequest, "the request parameter is repeated")
	}
	if p.Has("request_uri") {
		return nil, oautherr.New(oautherr.InvalidRequest, "send request or request_uri, not both (RFC 9101 §5)")
	}
	if pushed {
		// RFC 9126 §3: "All other request parameters ... MUST appear as
		// claims of the JWT representing the authorization request."
		for k := range p {
			switch k {
			case "request", "client_id", "client_assertion", "client_assertion_type", "client_secret":
			default:
				return nil, oautherr.New(oautherr.InvalidRequest, "parameter %s is sent beside a request object; at the PAR endpoint every authorization parameter must be a claim of the request object (RFC 9126 §3)", k)
			}
		}
	}
	if len(raw) > maxLen {
		return nil, bad("longer than %d bytes", maxLen)
	}
	if strings.Count(raw, ".") == 4 {
		return nil, bad("encrypted request objects (JWE) are not supported; sign it (JWS) with one of the client's keys")
	}
	tok, err := jwt.ParseSigned(raw, algs)
	if err != nil {
		return nil, bad("not a compact JWS signed with one of %s; unsigned (alg none) and HMAC request objects are refused", strings.Join(Algs, ", "))
	}
	// RFC 9101 §10.8: explicit typing keeps other typed JWTs (a DPoP
	// proof, an access token, a logout token) from passing as a request
	// object. Plain "JWT" is accepted as well as no typ, as FAPI 2.0's
	// implementers do: common JWT libraries set it by default, and an
	// untyped JWT of another kind fails here anyway (a client assertion
	// has no nbf, response_type or redirect_uri; an ID token is not signed
	// with the client's key).
	if typ, ok := clientauth.HeaderType(tok); !ok || (typ != "" && !strings.EqualFold(typ, Type) && !strings.EqualFold(typ, "JWT")) {
		return nil, bad("typ must be %q (RFC 9101 §10.8), JWT, or left out", Type)
	}
	keys, err := v.Keys.ClientKeys(ctx, c, tok.Headers[0].KeyID)
	if err != nil {
		return nil, bad("%v", err)
	}
	var claims map[string]any
	if _, err := clientauth.VerifyWith(tok, keys, &claims); err != nil {
		return nil, bad("%v", err)
	}
	params, reg, err := toParams(claims)
	if err != nil {
		return nil, err
	}
	// The parameters are the client's own only when they name it: signed
	// by client c but naming client B, their redirect_uri is one of B's,
	// and an error sent there would let any client with keys plant errors
	// (and a state of its choosing) at every other client's callback. So
	// a client_id mismatch returns no parameters: a page, never a redirect.
	if err := checkClientID(c, p, params); err != nil {
		return nil, err
	}
	// From here the parameters are the client's own.
	if err := v.check(c, reg); err != nil {
		return params, err
	}
	// RFC 9101 §10.1 (replay) and FAPI 2.0 Message Signing: each request
	// object is used once. Remembered until it can no longer pass exp.
	if err := v.JTI.UseJTI(ctx, jtiNamespace+c.ID, reg.ID, reg.Expiry.Time().Add(ClockSkew), v.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return params, bad("jti %q was already used; sign a new request object, with a fresh jti, for every request", reg.ID)
		}
		return params, oautherr.Server(err)
	}
	return params, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxLifetime() time.Duration {
	if v.MaxLifetime > 0 {
		return v.MaxLifetime
	}
	return config.DefaultRequestObjectMaxLifetime
}

// check applies RFC 9101 §4-§6 and FAPI 2.0 Message Signing §5.3.2 to the
// verified claims.
func (v *Verifier) check(c *config.Client, reg jwt.Claims) error {
	now := v.now()
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case reg.Issuer != c.ID:
		return bad("iss %q must be the client id %q (RFC 9101 §4)", reg.Issuer, c.ID)
	case !audienceOK(reg.Audience, v.Issuer):
		return bad("aud %q must be the issuer %q (RFC 9101 §4)", []string(reg.Audience), v.Issuer)
	case reg.Expiry == nil:
		return bad("exp is required")
	case !now.Before(reg.Expiry.Time().Add(ClockSkew)):
		return bad("expired at %s (server time %s)", ts(reg.Expiry.Time()), ts(now))
	case reg.Expiry.Time().After(now.Add(v.maxLifetime() + ClockSkew)):
		return bad("exp %s is more than %v ahead of the server time %s (the server setting request_object.max_lifetime); sign a short-lived request object for each request",
			ts(reg.Expiry.Time()), v.maxLifetime(), ts(now))
	case reg.NotBefore == nil:
		return bad("nbf is required (FAPI 2.0 Message Signing §5.3.2)")
	case now.Add(ClockSkew).Before(reg.NotBefore.Time()):
		return bad("not valid before %s (nbf; server time %s)", ts(reg.NotBefore.Time()), ts(now))
	case now.Sub(reg.NotBefore.Time()) > MaxNotBeforeAge:
		return bad("nbf %s is more than %v in the past (FAPI 2.0 Message Signing §5.3.2)", ts(reg.NotBefore.Time()), MaxNotBeforeAge)
	case reg.ID == "":
		return bad("jti is required: a unique random value per request object")
	case len(reg.ID) > maxJTILen:
		return bad("jti is longer than %d characters", maxJTILen)
	case strings.ContainsFunc(reg.ID, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return bad("jti contains a control character; use a random printable value")
	}
	return nil
}

// checkClientID: RFC 9101 §5, "The client ID values in the client_id
// request parameter and in the Request Object client_id claim MUST be
// identical"; RFC 9101 §4: the object holds every parameter, client_id
// included.
func checkClientID(c *config.Client, outer, params url.Values) error {
	switch {
	case params.Get("client_id") == "":
		return bad("client_id is required inside the request object (RFC 9101 §4)")
	case params.Get("client_id") != c.ID:
		return bad("client_id %q inside differs from the client %q the request is for (RFC 9101 §5)", params.Get("client_id"), c.ID)
	case outer.Has("client_id") && outer.Get("client_id") != c.ID:
		return bad("client_id outside (%q) differs from the one inside (RFC 9101 §5)", outer.Get("client_id"))
	}
	return nil
}

// audienceOK: aud is the issuer, alone or in a list (RFC 7519 §4.1.3).
func audienceOK(aud jwt.Audience, issuer string) bool {
	for _, a := range aud {
		if a != "" && a == issuer {
			return true
		}
	}
	return false
}

// registered are the JWT claims of the envelope, not request parameters.
var registered = map[string]bool{"iss": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, "sub": true}

// toParams turns the claims into authorization parameters: strings as
// they are, whole numbers (max_age) in decimal, a list of resources as the
// parameter repeated, other objects and lists (the claims parameter, OIDC
// Core §5.5) as their JSON text. It also decodes the
// envelope's registered claims.
func toParams(claims map[string]any) (url.Values, jwt.Claims, error) {
	var reg jwt.Claims
	b, err := json.Marshal(claimsOnly(claims))
	if err == nil {
		err = json.Unmarshal(b, &reg)
	}
	if err != nil {
		return nil, reg, bad("iss, aud, exp, nbf and jti must have their JWT types (RFC 7519 §4.1)")
	}
	p := make(url.Values, len(claims))
	for k, val := range claims {
		if registered[k] {
			continue
		}
		if k == "request" || k == "request_uri" {
			// RFC 9101 §4: they "MUST NOT be included in Request Objects".
			return nil, reg, bad("it must not contain %s (RFC 9101 §4)", k)
		}
		if list, ok := val.([]any); ok && k == authorize.ParamResource {
			// RFC 8707 §2.1: resource may be given more than once; in a
			// JSON object that is a list of strings.
			for _, r := range list {
				r, ok := r.(string)
				if !ok {
					return nil, reg, bad("claim %s must be a string or a list of strings", k)
				}
				p.Add(k, r)
			}
			continue
		}
		switch x := val.(type) {
		case string:
			p.Set(k, x)
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, reg, bad("claim %s must be a string or a whole number", k)
			}
			p.Set(k, strconv.FormatInt(int64(x), 10))
		case bool:
			p.Set(k, strconv.FormatBool(x))
		case nil:
			return nil, reg, bad("claim %s is null", k)
		default:
			j, _ := json.Marshal(x)
			p.Set(k, string(j))
		}
	}
	return p, reg, nil
}

func claimsOnly(c map[string]any) map[string]any {
	out := make(map[string]any, len(registered))
	for k := range registered {
		if v, ok := c[k]; ok {
			out[k] = v
		}
	}
	return out
}
