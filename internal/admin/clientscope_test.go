package admin_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
)

type clientList map[string]*config.Client

func (l clientList) Client(id string) (*config.Client, bool) { c, ok := l[id]; return c, ok }

// TestClientScopeRules breaks one condition of an admin client's token per
// case; each must be refused, and the valid token names its client.
func TestClientScopeRules(t *testing.T) {
	aud := []string{"https://id.example/connect/userinfo"}
	ops := &config.Client{ID: "ops", Type: config.ClientConfidential, GrantTypes: []string{config.GrantClientCredentials},
		Scopes: []string{config.ScopeAdmin}}
	valid := func() mint.AccessClaims {
		return mint.AccessClaims{Subject: "ops", ClientID: "ops", Audience: aud, Scopes: []string{"api", config.ScopeAdmin}}
	}
	clients := clientList{"ops": ops,
		"lost-scope": {ID: "lost-scope", GrantTypes: []string{config.GrantClientCredentials}, Scopes: []string{"api"}},
		"lost-grant": {ID: "lost-grant", GrantTypes: []string{config.GrantPassword}, Scopes: []string{config.ScopeAdmin}}}
	cases := []struct {
		name string
		edit func(*mint.AccessClaims)
		err  error
		ok   bool
	}{
		{"valid", func(*mint.AccessClaims) {}, nil, true},
		{"verification failed", func(*mint.AccessClaims) {}, mint.ErrInvalidToken, false},
		{"no admin scope", func(c *mint.AccessClaims) { c.Scopes = []string{"api"} }, nil, false},
		{"a user's token", func(c *mint.AccessClaims) { c.Subject = "sub-alice" }, nil, false},
		{"no client_id", func(c *mint.AccessClaims) { c.ClientID, c.Subject = "", "" }, nil, false},
		{"for a resource server", func(c *mint.AccessClaims) { c.Audience = []string{"https://api.example"} }, nil, false},
		{"DPoP-bound", func(c *mint.AccessClaims) { c.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" }, nil, false},
		{"client gone", func(c *mint.AccessClaims) { c.ClientID, c.Subject = "gone", "gone" }, nil, false},
		{"client lost the scope", func(c *mint.AccessClaims) { c.ClientID, c.Subject = "lost-scope", "lost-scope" }, nil, false},
		{"client lost the grant", func(c *mint.AccessClaims) { c.ClientID, c.Subject = "lost-grant", "lost-grant" }, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			claims := valid()
			tc.edit(&claims)
			cs := &admin.ClientScope{
				Verify: func(tok string, _ time.Time) (mint.AccessClaims, error) {
					if tok != "the-token" {
						t.Errorf("verified %q, want the bearer value", tok)
					}
					return claims, tc.err
				},
				Clients: clients, Audience: aud, Now: time.Now,
			}
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.Header.Set("Authorization", "Bearer the-token")
			who, ok := cs.Authorize(r)
			if ok != tc.ok {
				t.Fatalf("Authorize = %v, want %v", ok, tc.ok)
			}
			if ok && who != (admin.Caller{Kind: admin.CallerClient, ID: "ops"}) {
				t.Errorf("caller %+v", who)
			}
		})
	}
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Authorization", "Basic the-token")
	cs := &admin.ClientScope{Verify: func(string, time.Time) (mint.AccessClaims, error) { return valid(), errors.New("unused") },
		Clients: clients, Audience: aud, Now: time.Now}
	if _, ok := cs.Authorize(r); ok {
		t.Error("a Basic header was taken for a bearer token")
	}
}
