package config

import (
	"testing"
)

// TestSigningAlgs is which algorithm signs which token, from the defaults
// through the signing_alg shorthand to a client's own registration.
func TestSigningAlgs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		yaml       string
		access, id string // the server's effective algorithms
		// the client's, when the YAML has one
		clientAccess, clientID string
	}{
		// Access tokens are read by resource servers and OIDC fixes no
		// algorithm for them: ES256. ID tokens: RS256, OIDC Core §15.1.
		{name: "defaults", yaml: ``, access: "ES256", id: "RS256"},
		{name: "shorthand sets both", yaml: "tokens: {signing_alg: RS256}", access: "RS256", id: "RS256"},
		{name: "shorthand ES256", yaml: "tokens: {signing_alg: ES256}", access: "ES256", id: "ES256"},
		{name: "specific keys win over the shorthand",
			yaml:   "tokens: {signing_alg: RS256, access_token_signing_alg: ES256}",
			access: "ES256", id: "RS256"},
		{name: "id token key", yaml: "tokens: {id_token_signing_alg: ES256}", access: "ES256", id: "ES256"},
		{name: "client registers ES256 ID tokens",
			yaml:   client("id_token_signed_response_alg: ES256"),
			access: "ES256", id: "RS256", clientAccess: "ES256", clientID: "ES256"},
		{name: "client shorthand overrides the server's specific keys",
			yaml:   "tokens: {access_token_signing_alg: ES256}\n" + client("tokens: {signing_alg: RS256}"),
			access: "ES256", id: "RS256", clientAccess: "RS256", clientID: "RS256"},
		{name: "client registration wins over its shorthand",
			yaml:   client("id_token_signed_response_alg: ES256\n    tokens: {signing_alg: RS256}"),
			access: "ES256", id: "RS256", clientAccess: "RS256", clientID: "ES256"},
		{name: "client access key",
			yaml:   client("tokens: {access_token_signing_alg: RS256}"),
			access: "ES256", id: "RS256", clientAccess: "RS256", clientID: "RS256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Tokens; got.AccessTokenSigningAlg != tc.access || got.IDTokenSigningAlg != tc.id {
				t.Errorf("server: access %s, ID %s; want %s, %s", got.AccessTokenSigningAlg, got.IDTokenSigningAlg, tc.access, tc.id)
			}
			cl, ok := c.Client("c")
			if !ok {
				if len(c.Clients) != 0 {
					t.Fatal("client c missing")
				}
				return
			}
			if got := cl.Tokens; got.AccessTokenSigningAlg != tc.clientAccess || got.IDTokenSigningAlg != tc.clientID {
				t.Errorf("client: access %s, ID %s; want %s, %s", got.AccessTokenSigningAlg, got.IDTokenSigningAlg, tc.clientAccess, tc.clientID)
			}
		})
	}
}

// client is a YAML clients block with one confidential client c, extra
// holding more of its keys (indented four spaces).
func client(extra string) string {
	return "clients:\n  - id: c\n    secret: " + testSecret + "\n    redirect_uris: [https://c.example/cb]\n    " + extra + "\n"
}

func TestSigningAlgRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"shorthand", func(c *Config) { c.Tokens.SigningAlg = "HS256" }, "tokens.signing_alg", "RS256 or ES256"},
		{"access", func(c *Config) { c.Tokens.AccessTokenSigningAlg = "none" }, "tokens.access_token_signing_alg", "RS256 or ES256"},
		{"id", func(c *Config) { c.Tokens.IDTokenSigningAlg = "PS256" }, "tokens.id_token_signing_alg", "RS256 or ES256"},
		{"client access", func(c *Config) { c.Clients[0].TokensOverride = &TokensPatch{AccessTokenSigningAlg: ptr("HS256")} },
			`clients[0] "web".tokens.access_token_signing_alg`, "not supported"},
		{"client registration", func(c *Config) { c.Clients[0].IDTokenSignedResponseAlg = "none" },
			`clients[0] "web".id_token_signed_response_alg`, "not supported"},
	})
}
