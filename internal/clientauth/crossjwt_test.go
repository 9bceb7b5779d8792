package clientauth

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// TestRequestObjectIsNotAnAssertion: RFC 9101 §10.8 names the cross-JWT
// confusion of a request object taken for a client assertion. A request
// object sent by value travels through the browser; untyped, with sub the
// client id (which some clients add), it has every claim an assertion
// needs: iss, sub, aud the issuer, a short exp, a jti that is recorded in
// the request objects' replay namespace, not the assertions'. Whoever saw
// it in the front channel could authenticate as the client for a minute.
// Its authorization parameters give it away: it is refused.
func TestRequestObjectIsNotAnAssertion(t *testing.T) {
	for _, claim := range []string{"response_type", "redirect_uri"} {
		a, _, _ := newAuth(t)
		c := claimsFor("jwt", testNow)
		ro := map[string]any{"iss": c.Issuer, "sub": c.Subject, "aud": issuer, "jti": c.ID,
			"iat": testNow.Unix(), "nbf": testNow.Unix(), "exp": testNow.Add(50 * time.Second).Unix()}
		ro[claim] = map[string]string{"response_type": "code", "redirect_uri": "https://app.example/cb"}[claim]
		_, err := a.Authenticate(context.Background(), jwtCreds(signTyp(t, nil, ro)))
		wantErr(t, err, oautherr.InvalidClient, "request object", claim)
	}
	// A plain untyped assertion, or one that also carries client_id
	// (some clients add it), still authenticates.
	a, _, _ := newAuth(t)
	if _, err := a.Authenticate(context.Background(), jwtCreds(signTyp(t, nil, claimsFor("jwt", testNow)))); err != nil {
		t.Fatalf("plain untyped assertion: %v", err)
	}
	c := claimsFor("jwt", testNow)
	withID := map[string]any{"iss": c.Issuer, "sub": c.Subject, "aud": issuer, "jti": c.ID, "exp": c.Expiry, "client_id": "jwt"}
	if _, err := a.Authenticate(context.Background(), jwtCreds(signTyp(t, nil, withID))); err != nil {
		t.Fatalf("assertion with a client_id claim: %v", err)
	}
}
