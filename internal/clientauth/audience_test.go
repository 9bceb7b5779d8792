package clientauth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// The endpoints that take client authentication, by their URL.
const (
	parEndpoint        = issuer + "/connect/par"
	introspectEndpoint = issuer + "/connect/introspect"
	revokeEndpoint     = issuer + "/connect/revocation"
)

// TestAssertionAudiencePerEndpoint: an assertion is good at the endpoint it
// names, or anywhere when it names the issuer (RFC 7523 §3 item 3; RFC
// 7523bis makes the issuer the one value). One made for the token endpoint
// does not authenticate at PAR, introspection or revocation, and the
// reverse.
func TestAssertionAudiencePerEndpoint(t *testing.T) {
	endpoints := []string{tokenEndpoint, parEndpoint, introspectEndpoint, revokeEndpoint}
	for _, at := range endpoints {
		for _, aud := range append([]string{issuer}, endpoints...) {
			want := aud == issuer || aud == at
			name := "aud " + strings.TrimPrefix(aud, issuer)
			if aud == issuer {
				name = "aud issuer"
			}
			t.Run(strings.TrimPrefix(at, issuer)+" "+name, func(t *testing.T) {
				a, _, _ := newAuth(t)
				c := claimsFor("jwt", testNow)
				c.Audience = jwt.Audience{aud}
				creds := jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c))
				creds.Endpoint = at
				cl, err := a.Authenticate(context.Background(), creds)
				if want {
					if err != nil || cl.ID != "jwt" {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if cl != nil {
					t.Fatalf("an assertion for %s authenticated at %s", aud, at)
				}
				wantErr(t, err, oautherr.InvalidClient, "aud", at)
			})
		}
	}
}

// TestAssertionAudienceWithoutEndpoint: a caller that does not say where
// the request came in gets the strictest rule, the issuer alone.
func TestAssertionAudienceWithoutEndpoint(t *testing.T) {
	a, _, _ := newAuth(t)
	c := claimsFor("jwt", testNow)
	c.Audience = jwt.Audience{tokenEndpoint}
	creds := jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c))
	creds.Endpoint = ""
	if cl, err := a.Authenticate(context.Background(), creds); cl != nil || err == nil {
		t.Fatalf("token endpoint audience accepted with no endpoint given: %v", err)
	}
	c = claimsFor("jwt", testNow)
	creds = jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c))
	creds.Endpoint = ""
	if _, err := a.Authenticate(context.Background(), creds); err != nil {
		t.Fatalf("issuer audience refused: %v", err)
	}
}

// TestAssertionExpiryBoundary lands exactly on exp + ClockSkew. RFC 7519
// §4.1.4: a JWT must not be accepted "on or after" exp; with the leeway
// the limit moves to exp + skew, and that instant is already too late.
func TestAssertionExpiryBoundary(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Duration // server time relative to exp
		ok   bool
	}{
		{"one nanosecond before exp+skew", ClockSkew - time.Nanosecond, true},
		{"exactly exp+skew", ClockSkew, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, now := newAuth(t)
			c := claimsFor("jwt", testNow)
			*now = c.Expiry.Time().Add(tc.at)
			cl, err := a.Authenticate(context.Background(), jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c)))
			if tc.ok {
				if err != nil || cl == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, oautherr.InvalidClient, "expired at")
		})
	}
}

// TestAssertionNotBeforeBoundary: RFC 7519 §4.1.5 accepts a JWT at nbf
// (not before it); with the leeway, from nbf - skew on.
func TestAssertionNotBeforeBoundary(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Duration // server time relative to nbf
		ok   bool
	}{
		{"exactly nbf-skew", -ClockSkew, true},
		{"one nanosecond earlier", -ClockSkew - time.Nanosecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, now := newAuth(t)
			c := claimsFor("jwt", testNow)
			c.NotBefore = jwt.NewNumericDate(testNow.Add(10 * time.Second))
			c.IssuedAt = nil
			*now = c.NotBefore.Time().Add(tc.at)
			cl, err := a.Authenticate(context.Background(), jwtCreds(sign(t, ecKey, jose.ES256, "ec1", c)))
			if tc.ok {
				if err != nil || cl == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, oautherr.InvalidClient, "not valid before")
		})
	}
}
