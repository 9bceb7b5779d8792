package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

const secretOps = "ops-secret-for-the-admin-scope-tests-0123456789"

// TestAdminScopeThroughClientCredentials: a client holding tollgate:admin
// reaches the admin listener with an access token from the client
// credentials grant (x/oauth2's own client), and nothing else does: not a
// token that did not ask for the scope, not another client's token, not a
// user's token, not a token for a resource server.
func TestAdminScopeThroughClientCredentials(t *testing.T) {
	t.Setenv(config.AdminTokenEnv, "") // no admin token at all: the client is the only way in
	e := startWith(t, func(c *config.Config) {
		c.Admin = config.Admin{Listen: "127.0.0.1:0"}
		c.Resources = append(c.Resources, config.Resource{URI: "https://api.example/ops", Scopes: []string{"ops.read"}})
		c.Clients = append(c.Clients, config.Client{ID: "ops", Type: "confidential", AuthMethod: "client_secret_basic",
			Secret: secretOps, GrantTypes: []string{"client_credentials"}, Scopes: []string{config.ScopeAdmin, "api", "ops.read"},
			Resources: []string{"https://api.example/ops"}})
	})
	e.secrets = append(e.secrets, secretOps)
	deadline := time.Now().Add(10 * time.Second)
	for e.app.AdminAddr() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the admin listener did not open with an admin client and no token")
		}
		time.Sleep(10 * time.Millisecond)
	}
	base := "http://" + e.app.AdminAddr()
	ctx := context.Background()
	token := func(id, secret string, params url.Values, scopes ...string) string {
		t.Helper()
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.tokenURL(), Scopes: scopes, EndpointParams: params}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client credentials for %s %v: %v", id, scopes, err)
		}
		return tok.AccessToken
	}
	admin := token("ops", secretOps, nil, config.ScopeAdmin)
	for _, path := range []string{"/metrics", "/api/v1/openapi.yaml"} {
		if status, _, body := adminGet(t, base+path, "Bearer "+admin); status != http.StatusOK {
			t.Errorf("%s with the admin client's token: %d %s", path, status, body)
		}
	}
	refused := map[string]string{
		"the scope not asked for":  token("ops", secretOps, nil),
		"another scope only":       token("ops", secretOps, nil, "api"),
		"another client":           token("app", secretApp, nil, "api"),
		"a token for a resource":   token("ops", secretOps, url.Values{"resource": {"https://api.example/ops"}}, "ops.read"),
		"a user's token":           e.passwordGrant("app", secretApp, "openid api").str("access_token"),
		"the admin token edited":   admin[:len(admin)-2] + "AA",
		"the admin token as Basic": "",
		"nothing after Bearer":     " ",
	}
	for name, tok := range refused {
		auth := "Bearer " + tok
		if name == "the admin token as Basic" {
			auth = "Basic " + admin
		}
		status, hdr, _ := adminGet(t, base+"/metrics", strings.TrimRight(auth, " "))
		if status != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d, want 401 with a Bearer challenge", name, status)
		}
	}
}
