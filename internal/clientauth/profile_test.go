package clientauth

import (
	"context"
	"crypto"
	"encoding/base64"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// signTyp signs claims with ecKey (kid ec1) and the given typ header;
// typ nil leaves the header out.
func signTyp(t testing.TB, typ any, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), "ec1")
	if typ != nil {
		opts = opts.WithHeader(jose.HeaderType, typ)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: ecKey}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAssertionType: draft-ietf-oauth-rfc7523bis explicit typing. An
// assertion typed client-authentication+jwt, JWT or untyped authenticates;
// a JWT typed for anything else (an ID token would be JWT too, but is
// refused by its sub and aud; these types say outright they are not
// assertions) does not.
func TestAssertionType(t *testing.T) {
	for _, tc := range []struct {
		typ any
		ok  bool
	}{
		{nil, true},
		{"JWT", true},
		{"jwt", true},
		{"client-authentication+jwt", true},
		{"application/client-authentication+jwt", true},
		{"Client-Authentication+JWT", true},
		{"dpop+jwt", false},
		{"at+jwt", false},
		{"oauth-authz-req+jwt", false},
		{"logout+jwt", false},
		{"secevent+jwt", false},
		{"", false},
		{42.0, false},
	} {
		a, _, _ := newAuth(t)
		_, err := a.Authenticate(context.Background(), jwtCreds(signTyp(t, tc.typ, claimsFor("jwt", testNow))))
		switch {
		case tc.ok && err != nil:
			t.Errorf("typ %v refused: %v", tc.typ, err)
		case !tc.ok && err == nil:
			t.Errorf("typ %v accepted", tc.typ)
		case !tc.ok:
			wantErr(t, err, oautherr.InvalidClient, "typ")
		}
	}
}

// TestAssertionMaxLifetimeSetting: client_assertion.max_lifetime replaces
// the fixed 60 s, ahead of now and ahead of iat, and the description
// names the setting.
func TestAssertionMaxLifetimeSetting(t *testing.T) {
	ctx := context.Background()
	ten := func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(10 * time.Minute)) }

	a, _, _ := newAuth(t)
	c := claimsFor("jwt", testNow)
	ten(&c)
	_, err := a.Authenticate(ctx, jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c)))
	wantErr(t, err, oautherr.InvalidClient, "more than 1m0s ahead", "client_assertion.max_lifetime")

	a, _, _ = newAuth(t)
	a.MaxLifetime = 10 * time.Minute
	c = claimsFor("jwt", testNow)
	ten(&c)
	if _, err := a.Authenticate(ctx, jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c))); err != nil {
		t.Fatalf("10-minute assertion under a 10m limit: %v", err)
	}

	// Made for 2 minutes, sent at the end of its life: exp is near, but
	// exp - iat is over the limit.
	a, _, _ = newAuth(t)
	c = claimsFor("jwt", testNow)
	c.IssuedAt = jwt.NewNumericDate(testNow.Add(-110 * time.Second))
	c.Expiry = jwt.NewNumericDate(testNow.Add(10 * time.Second))
	_, err = a.Authenticate(ctx, jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c)))
	wantErr(t, err, oautherr.InvalidClient, "after iat", "client_assertion.max_lifetime")
}

// TestAssertionKeyThumbprint: AuthenticateKey names the key that verified
// the assertion (RFC 7638), and no key for a secret.
func TestAssertionKeyThumbprint(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		key any
		pub any
		alg jose.SignatureAlgorithm
		kid string
	}{
		{ecKey, &ecKey.PublicKey, jose.ES256, "ec1"},
		{rsaKey, &rsaKey.PublicKey, jose.RS256, ""},
		{edKey, edKey.Public(), jose.EdDSA, "ed1"},
	} {
		a, _, _ := newAuth(t)
		cl, jkt, err := a.AuthenticateKey(ctx, jwtCreds(sign(t, tc.key, tc.alg, tc.kid, claimsFor("jwt", testNow))))
		if err != nil || cl.ID != "jwt" {
			t.Fatalf("%s: %v", tc.alg, err)
		}
		sum, _ := (&jose.JSONWebKey{Key: tc.pub}).Thumbprint(crypto.SHA256)
		if want := base64.RawURLEncoding.EncodeToString(sum); jkt != want {
			t.Errorf("%s: thumbprint %q, want %q", tc.alg, jkt, want)
		}
	}
	a, _, _ := newAuth(t)
	_, jkt, err := a.AuthenticateKey(ctx, Credentials{Method: "client_secret_basic", ClientID: "basic", Secret: basicSecret})
	if err != nil || jkt != "" {
		t.Errorf("basic: key %q, err %v", jkt, err)
	}
}

// TestPrivateKeyJWTClientRefusesSecrets: a private_key_jwt client cannot
// authenticate with a secret or as public, whatever it sends.
func TestPrivateKeyJWTClientRefusesSecrets(t *testing.T) {
	a, _, _ := newAuth(t)
	for _, c := range []Credentials{
		{Method: "client_secret_basic", ClientID: "jwt", Secret: basicSecret},
		{Method: "client_secret_post", ClientID: "jwt", Secret: postSecret},
		{Method: "none", ClientID: "jwt"},
	} {
		_, err := a.Authenticate(context.Background(), c)
		wantErr(t, err, oautherr.InvalidClient, "registered for private_key_jwt")
	}
}
