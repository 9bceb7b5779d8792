package clientauth

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// ClientKeys returns the public keys of a client: its inline jwks, or the
// set at its jwks_uri (JWKSFetcher, refetched when kid is unknown). The
// error is a plain description, for the caller to wrap in its own code
// (invalid_client for an assertion, invalid_request_object for a request
// object).
func (a *Authenticator) ClientKeys(ctx context.Context, cl *config.Client, kid string) (*jose.JSONWebKeySet, error) {
	if cl.JWKSURI == "" {
		if ks := cl.Keys(); ks != nil {
			return ks, nil
		}
		return nil, errors.New("the client has no registered keys (jwks or jwks_uri)")
	}
	a.jwksOnce.Do(func() {
		if a.JWKSURI == nil {
			a.JWKSURI = &JWKSFetcher{Now: a.Now}
		}
	})
	return a.JWKSURI.Keys(ctx, cl.JWKSURI, kid)
}

// thumbprint is the RFC 7638 thumbprint of k: base64url(SHA-256) of its
// required members, the form DPoP's jkt uses too (RFC 9449 §6.1).
func thumbprint(k *jose.JSONWebKey) string {
	if k == nil {
		return ""
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}

// Assertion types (the JOSE header typ, RFC 7515 §4.1.9). draft-ietf-oauth-
// rfc7523bis gives client assertions the explicit type
// client-authentication+jwt; plain JWT, or no typ, is what RFC 7523 clients
// send. Any other type is a JWT made for something else (an ID token, a
// DPoP proof dpop+jwt, a request object oauth-authz-req+jwt, an access
// token at+jwt) and must not authenticate a client.
const (
	TypeClientAssertion = "client-authentication+jwt"
	typeJWT             = "jwt"
)

func checkAssertionType(tok *jwt.JSONWebToken) error {
	typ, ok := HeaderType(tok)
	if !ok {
		return invalidAssertion("the typ header must be a non-empty string: %q, or JWT", TypeClientAssertion)
	}
	switch strings.ToLower(typ) {
	case "", typeJWT, TypeClientAssertion:
		return nil
	}
	return invalidAssertion("typ %q is not a client assertion: use %q, or JWT (draft-ietf-oauth-rfc7523bis; RFC 7523)", typ, TypeClientAssertion)
}

// HeaderType returns the JOSE typ header of a one-signature JWT, with an
// "application/" prefix removed (RFC 7515 §4.1.9 lets it be left out and
// compares it without case); ok is false when typ is there but is not a
// non-empty string.
func HeaderType(tok *jwt.JSONWebToken) (string, bool) {
	if len(tok.Headers) != 1 {
		return "", false
	}
	v, present := tok.Headers[0].ExtraHeaders[jose.HeaderType]
	if !present {
		return "", true
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", false // present, so it must say something
	}
	if len(s) > len("application/") && strings.EqualFold(s[:len("application/")], "application/") {
		s = s[len("application/"):]
	}
	return s, true
}
