package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// AssertionType is the only client_assertion_type accepted (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

const (
	// ClockSkew is the tolerance for the client's clock on exp, nbf and iat.
	ClockSkew = 5 * time.Second
	// MaxAssertionLifetime is the default bound of exp (the setting
	// client_assertion.max_lifetime, Authenticator.MaxLifetime): an
	// assertion is made for one request, and a short life keeps the replay
	// cache (jti) small (RFC 7523 §3 item 4 lets the server "reject JWTs
	// with an exp claim value that is unreasonably far in the future").
	MaxAssertionLifetime = config.DefaultClientAssertionMaxLifetime
	maxAssertionLen      = 16 << 10
	maxJTILen            = 256
)

// allowedAlgs are the signature algorithms accepted. Listing them is what
// stops "alg":"none" and HS256-with-the-public-key tricks: go-jose refuses
// any other alg before looking at a key.
var allowedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// AssertionAlgs names allowedAlgs for discovery metadata
// (token_endpoint_auth_signing_alg_values_supported, RFC 8414 §2). It is a
// copy: changing it does not change what is verified.
var AssertionAlgs = []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"}

func invalidAssertion(format string, args ...any) error {
	// RFC 7523 §3.2: a bad client assertion is invalid_client.
	return oautherr.New(oautherr.InvalidClient, "client_assertion: "+format, args...)
}

// assertion authenticates private_key_jwt (RFC 7523 §2.2, §3; OIDC Core §9).
// Every check that needs no state runs before the jti is recorded, so a
// malformed assertion never burns a jti.
// It returns the client and the RFC 7638 thumbprint of the key that
// verified the assertion.
func (a *Authenticator) assertion(ctx context.Context, c Credentials) (*config.Client, string, error) {
	if c.AssertionType != AssertionType {
		return nil, "", oautherr.New(oautherr.InvalidClient, "client_assertion_type must be %s (RFC 7523 §2.2)", AssertionType)
	}
	if len(c.Assertion) > maxAssertionLen {
		return nil, "", invalidAssertion("longer than %d bytes", maxAssertionLen)
	}
	tok, err := jwt.ParseSigned(c.Assertion, allowedAlgs)
	if err != nil {
		return nil, "", invalidAssertion("not a compact JWS signed with one of RS256, PS256, ES256, ES384, EdDSA")
	}
	if err := checkAssertionType(tok); err != nil {
		return nil, "", err
	}
	// The client is named by client_id or, failing that, by sub; sub is read
	// unverified only to pick whose keys verify the signature.
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, "", invalidAssertion("the payload is not a JSON object of JWT claims")
	}
	id := c.ClientID
	switch {
	case id == "" && unverified.Subject == "":
		return nil, "", invalidAssertion("sub is required and must be the client id (RFC 7523 §3 item 2)")
	case id == "":
		id = unverified.Subject
	case unverified.Subject != id:
		return nil, "", invalidAssertion("sub %q does not match client_id %q", unverified.Subject, id)
	}
	cl, ok := a.Clients.Client(id)
	if !ok {
		return nil, "", oautherr.New(oautherr.InvalidClient, "unknown client %q", id)
	}
	if cl.AuthMethod != config.AuthPrivateKeyJWT {
		return nil, "", errWrongMethod(cl, config.AuthPrivateKeyJWT)
	}

	keys, err := a.ClientKeys(ctx, cl, tok.Headers[0].KeyID)
	if err != nil {
		return nil, "", invalidAssertion("%v", err)
	}
	var claims jwt.Claims
	key, err := verify(tok, keys, &claims)
	if err != nil {
		return nil, "", err
	}
	if err := a.checkClaims(cl.ID, c.Endpoint, &claims); err != nil {
		return nil, "", err
	}
	if err := notRequestObject(tok); err != nil {
		return nil, "", err
	}

	// RFC 7523 §3 item 7: a jti is accepted once. It is remembered until the
	// assertion can no longer pass the exp check, exp + ClockSkew, so a
	// replay just after exp cannot slip past an already-forgotten jti.
	if a.JTI == nil {
		return nil, "", oautherr.Server(errors.New("clientauth: private_key_jwt needs a JTI store"))
	}
	exp := claims.Expiry.Time()
	if err := a.JTI.UseJTI(ctx, cl.ID, claims.ID, exp.Add(ClockSkew), a.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, "", invalidAssertion("jti %q was already used; make a new assertion, with a fresh jti, for every request (RFC 7523 §3 item 7)", claims.ID)
		}
		return nil, "", oautherr.Server(err)
	}
	return cl, thumbprint(key), nil
}

// notRequestObject refuses a request object presented as a client
// assertion, RFC 9101 §10.8's cross-JWT confusion: sent by value it crosses
// the browser, and untyped, with sub the client id, it would pass every
// other check here (its jti is recorded among request objects', not
// assertions'). Called once the signature holds.
func notRequestObject(tok *jwt.JSONWebToken) error {
	// Authorization request parameters that every request object carries
	// (RFC 9101 §4: it holds all of them; RFC 6749 §4.1.1) and no client
	// assertion does. Raw, so that nothing but their presence is decoded.
	var req struct {
		ResponseType json.RawMessage `json:"response_type"`
		RedirectURI  json.RawMessage `json:"redirect_uri"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&req); err != nil {
		return invalidAssertion("the payload is not a JSON object of JWT claims")
	}
	for _, p := range []struct {
		name string
		v    json.RawMessage
	}{{"response_type", req.ResponseType}, {"redirect_uri", req.RedirectURI}} {
		if p.v != nil {
			return invalidAssertion("it carries %s, so it is a request object, not a client assertion (RFC 9101 §10.8); sign a separate assertion, typed %q", p.name, TypeClientAssertion)
		}
	}
	return nil
}

// verify checks the signature with a key from the client's JWKS that fits
// the header's kid and alg, and decodes the claims only once it holds.
func verify(tok *jwt.JSONWebToken, set *jose.JSONWebKeySet, claims *jwt.Claims) (*jose.JSONWebKey, error) {
	k, err := VerifyWith(tok, set, claims)
	if err != nil {
		return nil, invalidAssertion("%s", err.Error())
	}
	return k, nil
}

// VerifyWith checks tok's signature with a key from set that fits the
// header's kid and alg, decodes its claims into claims only once the
// signature holds, and returns the key that verified it. Its error is a
// plain description for the caller to wrap in its own error code.
func VerifyWith(tok *jwt.JSONWebToken, set *jose.JSONWebKeySet, claims any) (*jose.JSONWebKey, error) {
	if len(tok.Headers) != 1 || set == nil {
		return nil, errors.New("cannot be verified")
	}
	h := tok.Headers[0]
	tried := 0
	for i := range set.Keys {
		k := &set.Keys[i]
		if (h.KeyID != "" && k.KeyID != h.KeyID) || (k.Algorithm != "" && k.Algorithm != h.Algorithm) || !fits(k.Key, h.Algorithm) {
			continue
		}
		tried++
		if err := tok.Claims(k.Key, claims); err == nil {
			return k, nil
		}
	}
	if tried == 0 {
		return nil, fmt.Errorf("no key in the client's registered keys matches kid %q and alg %s", h.KeyID, h.Algorithm)
	}
	return nil, errors.New("the signature does not verify with the client's registered keys")
}

// fits reports whether key can verify alg, so a key is never tried with an
// algorithm of another family.
func fits(key any, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == string(jose.RS256) || alg == string(jose.PS256)
	case *ecdsa.PublicKey:
		return (alg == string(jose.ES256) && k.Curve == elliptic.P256()) ||
			(alg == string(jose.ES384) && k.Curve == elliptic.P384())
	case ed25519.PublicKey:
		return alg == string(jose.EdDSA)
	}
	return false
}

// checkClaims applies RFC 7523 §3 to verified claims; endpoint is the URL
// of the endpoint the assertion was sent to (Credentials.Endpoint).
func (a *Authenticator) checkClaims(clientID, endpoint string, c *jwt.Claims) error {
	now := a.now()
	switch {
	case c.Issuer != clientID || c.Subject != clientID:
		// Items 1 and 2; OIDC Core §9: iss and sub are both the client id.
		return invalidAssertion("iss (%q) and sub (%q) must both be the client id %q (RFC 7523 §3)", c.Issuer, c.Subject, clientID)
	case !a.audienceOK(c.Audience, endpoint):
		if endpoint == "" {
			return invalidAssertion("aud %q must contain the issuer %q (RFC 7523 §3 item 3)", []string(c.Audience), a.Issuer)
		}
		return invalidAssertion("aud %q must contain the issuer %q or the URL of the endpoint it is sent to, %q (RFC 7523 §3 item 3)", []string(c.Audience), a.Issuer, endpoint)
	case c.Expiry == nil:
		return invalidAssertion("exp is required (RFC 7523 §3 item 4)")
	case !now.Before(c.Expiry.Time().Add(ClockSkew)): // RFC 7519 §4.1.4: "on or after" exp is too late
		return invalidAssertion("expired at %s (server time %s)", c.Expiry.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case c.Expiry.Time().After(now.Add(a.maxLifetime() + ClockSkew)):
		return invalidAssertion("exp %s is more than %v ahead of the server time %s (the limit is the server setting client_assertion.max_lifetime); make a short-lived assertion for each request",
			c.Expiry.Time().UTC().Format(time.RFC3339), a.maxLifetime(), now.UTC().Format(time.RFC3339))
	case c.IssuedAt != nil && c.Expiry.Time().Sub(c.IssuedAt.Time()) > a.maxLifetime()+ClockSkew:
		// Made to live longer than the limit, even if sent late in its life.
		return invalidAssertion("exp is %v after iat; the limit is %v (the server setting client_assertion.max_lifetime): make a short-lived assertion for each request",
			c.Expiry.Time().Sub(c.IssuedAt.Time()), a.maxLifetime())
	case c.NotBefore != nil && now.Add(ClockSkew).Before(c.NotBefore.Time()):
		return invalidAssertion("not valid before %s (nbf; server time %s)", c.NotBefore.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(ClockSkew)):
		return invalidAssertion("iat %s is in the future (server time %s); check the client's clock", c.IssuedAt.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case c.ID == "":
		return invalidAssertion("jti is required: a unique random value per assertion (RFC 7523 §3 item 7)")
	case len(c.ID) > maxJTILen:
		return invalidAssertion("jti is longer than %d characters", maxJTILen)
	case strings.ContainsFunc(c.ID, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		// The jti is stored to refuse a replay; no store keeps a NUL in text.
		return invalidAssertion("jti contains a control character; use a random printable value")
	}
	return nil
}

// audienceOK: RFC 7523 §3 item 3 asks for "a value that identifies the
// authorization server as an intended audience". Two values do, and each
// only where it names the server that receives it:
//   - the issuer identifier, at every endpoint: what RFC 9126 §2 says
//     clients SHOULD use, and the one value draft-ietf-oauth-rfc7523bis
//     keeps;
//   - the URL of the endpoint the assertion is sent to (OIDC Core §9 names
//     the token endpoint for the token endpoint; FAPI 2.0 the endpoint
//     that receives it).
//
// An assertion whose aud is the token endpoint is not accepted at PAR,
// introspection or revocation: RFC 9126 §2 still lists the token endpoint
// as an audience for PAR, but rfc7523bis withdraws that, because an
// assertion that names one endpoint must not be good at another (an
// attacker-controlled server can make a client sign an assertion for the
// honest server's token endpoint and replay it elsewhere). Clients that
// use the issuer, as RFC 9126 recommends, are unaffected. An aud list is
// accepted when any member is one of these (RFC 7519 §4.1.3). Empty
// values never match.
func (a *Authenticator) audienceOK(aud jwt.Audience, endpoint string) bool {
	for _, v := range aud {
		if v != "" && (v == a.Issuer || v == endpoint) {
			return true
		}
	}
	return false
}
