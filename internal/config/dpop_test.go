package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/dpop"
)

func TestDPoPDefaults(t *testing.T) {
	c, err := Parse([]byte("issuer: https://login.example.com\ndpop:\n  nonce: true\nclients:\n  - id: a\n    secret: " + testSecret + "\n    grant_types: [client_credentials]\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := c.DPoP
	if !d.Nonce || d.IATWindow != DefaultDPoPIATWindow || d.ClockSkew != DefaultDPoPClockSkew ||
		d.NonceLifetime != DefaultDPoPNonceLifetime || !slices.Equal(d.SigningAlgs, dpop.Algs) {
		t.Fatalf("dpop %+v", d)
	}
	a, _ := c.Client("a")
	if a.RequireDPoP || !a.BindsRefreshTokens() || !slices.Equal(a.DPoPSigningAlgs, dpop.Algs) {
		t.Fatalf("client defaults: require %v binds %v algs %v", a.RequireDPoP, a.BindsRefreshTokens(), a.DPoPSigningAlgs)
	}
	z := &Config{Issuer: "https://login.example.com"}
	if err := z.Finish(); err != nil {
		t.Fatal(err)
	}
	if z.DPoP.IATWindow != DefaultDPoPIATWindow || z.DPoP.NonceLifetime != DefaultDPoPNonceLifetime {
		t.Fatalf("zero config dpop %+v", z.DPoP)
	}
}

func TestDPoPValidation(t *testing.T) {
	for field, edit := range map[string]func(*Config){
		"dpop.iat_window":                  func(c *Config) { c.DPoP.IATWindow = 0 },
		"dpop.clock_skew":                  func(c *Config) { c.DPoP.ClockSkew = -time.Second },
		"dpop.nonce_lifetime":              func(c *Config) { c.DPoP.NonceLifetime = time.Second },
		"dpop.signing_alg_values":          func(c *Config) { c.DPoP.SigningAlgs = []string{} },
		"dpop.signing_alg_values[1]":       func(c *Config) { c.DPoP.SigningAlgs = []string{"ES256", "HS256"} },
		"dpop.signing_alg_values[0]":       func(c *Config) { c.DPoP.SigningAlgs = []string{"none"} },
		`"web".dpop_signing_alg_values[0]`: func(c *Config) { c.Clients[0].DPoPSigningAlgs = []string{"HS256"} },
		`"web".dpop_signing_alg_values[1]`: func(c *Config) { c.Clients[0].DPoPSigningAlgs = []string{"ES256", "ES256"} },
		`"web".dpop_signing_alg_values[0] `: func(c *Config) {
			c.DPoP.SigningAlgs = []string{"ES256"}
			c.Clients[0].DPoPSigningAlgs = []string{"PS256"}
		},
	} {
		c := validConfig(t)
		edit(c)
		err := c.Finish()
		want := strings.TrimSpace(field) + ":"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Finish() = %v, want a problem naming the field", field, err)
		}
	}
}

func TestUserClaimCnfRefused(t *testing.T) {
	c := validConfig(t)
	c.Users[0].Claims["cnf"] = map[string]any{"jkt": "x"}
	if err := c.Finish(); err == nil || !strings.Contains(err.Error(), "cnf") {
		t.Fatalf("a user claim cnf: %v", err)
	}
}

// profile: helseid requires DPoP and bound refresh tokens, and refuses a
// client that turns either off.
func TestProfileRequiresDPoP(t *testing.T) {
	c, err := Parse(profileYAML(""))
	if err != nil {
		t.Fatal(err)
	}
	if cl, _ := c.Client("journal"); !cl.RequireDPoP || !cl.BindsRefreshTokens() {
		t.Fatalf("profile helseid: require_dpop %v, bound refresh tokens %v", cl.RequireDPoP, cl.BindsRefreshTokens())
	}
	for field, extra := range map[string]string{
		"require_dpop":              "    require_dpop: false\n",
		"dpop_bound_refresh_tokens": "    dpop_bound_refresh_tokens: false\n",
	} {
		_, err := Parse(profileYAML(extra))
		if want := `"journal".` + field + `: contradicts profile`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", field, err, want)
		}
	}
}
