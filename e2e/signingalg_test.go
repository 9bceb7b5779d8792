package e2e

import (
	"context"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestIDTokenAlgFollowsRegistration: with the shipped defaults a relying
// party that registered nothing gets RS256 ID tokens, which go-oidc accepts
// without configuration (OIDC Core §15.1); a client registered with
// id_token_signed_response_alg ES256 gets ES256 ones on refresh, which
// go-oidc verifies through discovery and the JWKS. (go-oidc's default
// verifier accepts what discovery's id_token_signing_alg_values_supported
// lists, both; each verifier here is held to the one algorithm expected.)
func TestIDTokenAlgFollowsRegistration(t *testing.T) {
	e := startWith(t, func(c *config.Config) {
		for i := range c.Clients {
			if c.Clients[i].ID == "app2" {
				c.Clients[i].IDTokenSignedResponseAlg = "ES256"
			}
		}
	})
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	for _, tc := range []struct {
		client, secret string
		alg            string
	}{{"app", secretApp, oidc.RS256}, {"app2", secretApp2, oidc.ES256}} {
		r := e.passwordGrant(tc.client, tc.secret, "openid offline_access")
		wantOK(t, r)
		r = e.refreshGrant(tc.client, tc.secret, r.str("refresh_token"))
		wantOK(t, r)
		strict := p.Verifier(&oidc.Config{ClientID: tc.client, Now: e.clk.Now, SupportedSigningAlgs: []string{tc.alg}})
		if _, err := strict.Verify(ctx, r.str("id_token")); err != nil {
			t.Errorf("%s: ID token does not verify as %s: %v", tc.client, tc.alg, err)
		}
	}
}
