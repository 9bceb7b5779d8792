package clientauth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

func TestAssertionAccepted(t *testing.T) {
	cases := []struct {
		name   string
		key    any
		alg    jose.SignatureAlgorithm
		kid    string
		change func(c *jwt.Claims)
		id     string // client_id form parameter
	}{
		{name: "ES256", key: ecKey, alg: jose.ES256, kid: "ec1"},
		{name: "ES384", key: ec384Key, alg: jose.ES384, kid: "ec384"},
		{name: "RS256", key: rsaKey, alg: jose.RS256, kid: "rsa1"},
		{name: "PS256", key: rsaKey, alg: jose.PS256, kid: "rsa1"},
		{name: "EdDSA", key: edKey, alg: jose.EdDSA, kid: "ed1"},
		{name: "no kid: every fitting key is tried", key: rsaKey, alg: jose.RS256},
		{name: "aud is the token endpoint", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.Audience = jwt.Audience{tokenEndpoint} }},
		{name: "aud list holds the issuer", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example", issuer} }},
		{name: "client_id matches sub", key: ecKey, alg: jose.ES256, kid: "ec1", id: "jwt"},
		{name: "exp within clock skew", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(-3 * time.Second)) }},
		{name: "exp at the 60s limit plus skew", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(65 * time.Second)) }},
		{name: "iat within clock skew", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(testNow.Add(4 * time.Second)) }},
		{name: "no iat", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.IssuedAt = nil }},
		{name: "nbf now", key: ecKey, alg: jose.ES256, kid: "ec1", change: func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(testNow) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, jti, _ := newAuth(t)
			claims := claimsFor("jwt", testNow)
			if tc.change != nil {
				tc.change(&claims)
			}
			creds := jwtCreds(sign(t, tc.key, tc.alg, tc.kid, claims))
			creds.ClientID = tc.id
			cl, err := a.Authenticate(context.Background(), creds)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if cl.ID != "jwt" {
				t.Fatalf("client %q", cl.ID)
			}
			// The jti is remembered for as long as the assertion could pass.
			if got, want := jti.seen[[2]string{"jwt", claims.ID}], claims.Expiry.Time().Add(ClockSkew); !got.Equal(want) {
				t.Errorf("jti kept until %v, want exp+skew %v", got, want)
			}
		})
	}
}

func TestAssertionRejected(t *testing.T) {
	noneAlg := func() string {
		enc := base64.RawURLEncoding.EncodeToString
		c := claimsFor("jwt", testNow)
		payload := must(jwt.Signed(must(jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: ecKey}, nil))).Claims(c).Serialize())
		// Keep the payload, replace the header by alg none and drop the signature.
		parts := splitJWS(payload)
		return enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	}
	pubDER := must(x509.MarshalPKIXPublicKey(&ecKey.PublicKey))
	claims := func(change func(c *jwt.Claims)) jwt.Claims {
		c := claimsFor("jwt", testNow)
		change(&c)
		return c
	}
	cases := []struct {
		name  string
		creds func(t *testing.T) Credentials
		frags []string
	}{
		{"wrong assertion type", func(t *testing.T) Credentials {
			c := jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("jwt", testNow)))
			c.AssertionType = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
			return c
		}, []string{"client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}},
		{"not a JWT", func(*testing.T) Credentials { return jwtCreds("not.a.jwt") }, []string{"not a compact JWS"}},
		{"too long", func(*testing.T) Credentials { return jwtCreds(string(make([]byte, 20000))) }, []string{"longer than"}},
		{"alg none", func(*testing.T) Credentials { return jwtCreds(noneAlg()) }, []string{"not a compact JWS signed with one of"}},
		{"HS256 keyed with the public key", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, pubDER, jose.HS256, "ec1", claimsFor("jwt", testNow)))
		}, []string{"not a compact JWS signed with one of"}},
		{"ES512 not allowed", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, must(ecdsaP521()), jose.ES512, "ec1", claimsFor("jwt", testNow)))
		}, []string{"not a compact JWS signed with one of"}},
		{"unregistered key, known kid", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, strangerKey, jose.ES256, "ec1", claimsFor("jwt", testNow)))
		}, []string{"signature does not verify"}},
		{"another client's key", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, otherKey, jose.ES256, "ec1", claimsFor("jwt", testNow)))
		}, []string{"signature does not verify"}},
		{"unknown kid", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "nope", claimsFor("jwt", testNow)))
		}, []string{`no key in the client's registered keys matches kid "nope" and alg ES256`}},
		{"key alg pinned", func(t *testing.T) Credentials {
			// ed1 is registered with alg EdDSA; an RSA-signed token claiming kid ed1 finds no key.
			return jwtCreds(sign(t, rsaKey, jose.RS256, "ed1", claimsFor("jwt", testNow)))
		}, []string{"no key in the client's registered keys"}},
		{"client_id differs from sub", func(t *testing.T) Credentials {
			c := jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("jwt", testNow)))
			c.ClientID = "jwt2"
			return c
		}, []string{`sub "jwt" does not match client_id "jwt2"`}},
		{"no sub, no client_id", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Subject = "" })))
		}, []string{"sub is required"}},
		{"iss is not the client", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Issuer = "someone" })))
		}, []string{`iss ("someone") and sub ("jwt") must both be the client id "jwt"`}},
		{"unknown client", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("ghost", testNow)))
		}, []string{`unknown client "ghost"`}},
		{"client registered for a secret", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("basic", testNow)))
		}, []string{`client "basic" is registered for client_secret_basic but authenticated with private_key_jwt`}},
		{"wrong aud", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://evil.example/token"} })))
		}, []string{"aud", "must contain the issuer"}},
		{"no aud", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Audience = nil })))
		}, []string{"must contain the issuer"}},
		{"no exp", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Expiry = nil })))
		}, []string{"exp is required"}},
		{"expired", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(-6 * time.Second)) })))
		}, []string{"expired at 2026-03-01T11:59:54Z (server time 2026-03-01T12:00:00Z)"}},
		{"exp too far ahead", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(66 * time.Second)) })))
		}, []string{"more than 1m0s ahead of the server time"}},
		{"exp an hour ahead", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(testNow.Add(time.Hour)) })))
		}, []string{"short-lived assertion"}},
		{"nbf in the future", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(testNow.Add(10 * time.Second)) })))
		}, []string{"not valid before"}},
		{"iat in the future", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(testNow.Add(10 * time.Second)) })))
		}, []string{"iat", "in the future", "check the client's clock"}},
		{"no jti", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.ID = "" })))
		}, []string{"jti is required"}},
		// A NUL cannot be stored in PostgreSQL's text columns: recording it
		// would fail as a server error, so it is refused before.
		{"jti with a control character", func(t *testing.T) Credentials {
			return jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claims(func(c *jwt.Claims) { c.ID = "abc\x00def" })))
		}, []string{"jti", "control character"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, jti, _ := newAuth(t)
			cl, err := a.Authenticate(context.Background(), tc.creds(t))
			if cl != nil {
				t.Fatalf("accepted as %q", cl.ID)
			}
			wantErr(t, err, oautherr.InvalidClient, tc.frags...)
			if len(jti.seen) != 0 {
				t.Errorf("a rejected assertion recorded a jti: %v", jti.seen)
			}
		})
	}
}

func TestAssertionReplay(t *testing.T) {
	a, _, now := newAuth(t)
	ctx := context.Background()
	claims := claimsFor("jwt", testNow)
	assertion := sign(t, ecKey, jose.ES256, "ec1", claims)
	if _, err := a.Authenticate(ctx, jwtCreds(assertion)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err := a.Authenticate(ctx, jwtCreds(assertion))
	wantErr(t, err, oautherr.InvalidClient, `jti "`+claims.ID+`" was already used`)

	// A new assertion reusing the jti is a replay too.
	again := claimsFor("jwt", testNow)
	again.ID = claims.ID
	_, err = a.Authenticate(ctx, jwtCreds(sign(t, rsaKey, jose.RS256, "rsa1", again)))
	wantErr(t, err, oautherr.InvalidClient, "already used")

	// Just inside the skew after exp the assertion still passes the exp
	// check, so the replay must still be caught.
	*now = claims.Expiry.Time().Add(ClockSkew - time.Second)
	_, err = a.Authenticate(ctx, jwtCreds(assertion))
	wantErr(t, err, oautherr.InvalidClient, "already used")

	// Another client may use the same jti value: ids are per client.
	other := claimsFor("jwt2", *now)
	other.ID = claims.ID
	if _, err := a.Authenticate(ctx, jwtCreds(sign(t, otherKey, jose.ES256, "ec1", other))); err != nil {
		t.Fatalf("same jti, other client: %v", err)
	}
}

func TestAssertionStoreFailureIsServerError(t *testing.T) {
	a, jti, _ := newAuth(t)
	jti.fail = errors.New("disk on fire")
	_, err := a.Authenticate(context.Background(), jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("jwt", testNow))))
	e := oautherr.As(err)
	if e.Code != oautherr.ServerError || e.Status != 500 || !errors.Is(err, jti.fail) {
		t.Fatalf("error = %v, want server_error wrapping the cause", err)
	}
	if e.Description == "" || contains(e.Description, "disk") {
		t.Fatalf("description leaks the cause: %q", e.Description)
	}
}

func TestAssertionWithoutJTIStore(t *testing.T) {
	a, _, _ := newAuth(t)
	a.JTI = nil
	_, err := a.Authenticate(context.Background(), jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("jwt", testNow))))
	if e := oautherr.As(err); e.Code != oautherr.ServerError {
		t.Fatalf("error = %v, want server_error", err)
	}
}

func TestAssertionMethodFromConfig(t *testing.T) {
	// A private_key_jwt client presenting a secret is refused by method.
	a, _, _ := newAuth(t)
	_, err := a.Authenticate(context.Background(), Credentials{Method: config.AuthSecretPost, ClientID: "jwt", Secret: postSecret})
	wantErr(t, err, oautherr.InvalidClient, `client "jwt" is registered for private_key_jwt but authenticated with client_secret_post`)
}

func TestAssertionAlgsMatchesVerification(t *testing.T) {
	if len(AssertionAlgs) != len(allowedAlgs) {
		t.Fatalf("AssertionAlgs %v vs allowedAlgs %v", AssertionAlgs, allowedAlgs)
	}
	for i := range allowedAlgs {
		if AssertionAlgs[i] != string(allowedAlgs[i]) {
			t.Errorf("AssertionAlgs[%d] = %q, want %q", i, AssertionAlgs[i], allowedAlgs[i])
		}
	}
}
