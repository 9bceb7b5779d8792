package config

import "testing"

// TestAdminScopeRules: tollgate:admin only on a confidential client whose
// one grant is client_credentials.
func TestAdminScopeRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"on a public client", func(c *Config) { c.Clients[2].Scopes = []string{ScopeAdmin} },
			`clients[2] "spa".scopes`, "only for confidential clients"},
		{"with a user's grant", func(c *Config) { c.Clients[0].Scopes = append(c.Clients[0].Scopes, ScopeAdmin) },
			`clients[0] "web".scopes`, "nothing else"},
		{"with a second grant", func(c *Config) {
			c.Clients[1].Scopes = []string{ScopeAdmin}
			c.Clients[1].GrantTypes = []string{GrantClientCredentials, GrantPassword}
		}, `clients[1] "svc".scopes`, "nothing else"},
	})
	c := validConfig(t)
	c.Clients[1].Scopes = []string{ScopeAdmin}
	if err := c.Finish(); err != nil {
		t.Fatalf("a confidential client_credentials client with %s: %v", ScopeAdmin, err)
	}
}
