package grant_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// headerAlg is the alg of a compact JWS's protected header.
func headerAlg(t *testing.T, jws string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.SplitN(jws, ".", 2)[0])
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var h struct{ Alg string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("header: %v", err)
	}
	return h.Alg
}

// The shipped defaults: access tokens ES256 (resource servers read them and
// OIDC fixes no algorithm for them), ID tokens RS256 (OIDC Core §15.1: what
// a relying party that registered nothing expects), on the code exchange
// and on every refresh.
func TestDefaultSigningAlgs(t *testing.T) {
	f := newFixture(t)
	first := f.mustRedeem()
	resp, err := f.refresh("app", first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]struct{ at, id string }{"code": {first.AccessToken, first.IDToken}, "refresh": {resp.AccessToken, resp.IDToken}} {
		if got := headerAlg(t, r.at); got != "ES256" {
			t.Errorf("%s: access token alg %s, want ES256", name, got)
		}
		if got := headerAlg(t, r.id); got != "RS256" {
			t.Errorf("%s: ID token alg %s, want RS256", name, got)
		}
	}
}

// A client registered with id_token_signed_response_alg ES256 (OIDC
// Registration §2) gets ES256 ID tokens; tokens.signing_alg RS256 makes
// both RS256, as before the two keys existed.
func TestClientSigningAlgs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		edit      func(*config.Config)
		access, i string
	}{
		{"registered ES256", func(c *config.Config) { c.Clients[0].IDTokenSignedResponseAlg = "ES256" }, "ES256", "ES256"},
		{"shorthand RS256", func(c *config.Config) { c.Tokens.SigningAlg = "RS256" }, "RS256", "RS256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.reconfigure(tc.edit)
			if f.client("app").ID != "app" {
				t.Fatal("fixture's first client is not app")
			}
			resp, err := f.refresh("app", f.mustRedeem().RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if a, i := headerAlg(t, resp.AccessToken), headerAlg(t, resp.IDToken); a != tc.access || i != tc.i {
				t.Errorf("access %s, ID %s; want %s, %s", a, i, tc.access, tc.i)
			}
		})
	}
}
