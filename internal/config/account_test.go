package config

import (
	"strings"
	"testing"
)

func TestAccountClientIsBuiltInButNotListed(t *testing.T) {
	c := Default()
	c.Issuer = "https://id.example.com/tg"
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	cl, ok := c.Client(AccountClientID)
	if !ok || cl != c.AccountClient() {
		t.Fatalf("Client(%q) = %v, %v; want the built-in client", AccountClientID, cl, ok)
	}
	for _, listed := range c.Clients {
		if listed.ID == AccountClientID {
			t.Fatal("the built-in client is listed among the operator's clients")
		}
	}
	if cl.Type != ClientPublic || !cl.RequirePKCE || cl.AllowsScope(ScopeOfflineAccess) || cl.HasGrant(GrantRefreshToken) {
		t.Fatalf("built-in client %+v: want public, PKCE, no offline access", cl)
	}
	if len(cl.RedirectURIs) != 1 || cl.RedirectURIs[0] != "https://id.example.com/tg/account/callback" {
		t.Fatalf("redirect URIs %v", cl.RedirectURIs)
	}
}

func TestAccountDisabledRegistersNoClient(t *testing.T) {
	c := Default()
	off := false
	c.Account.Enabled = &off
	c.Clients = []Client{{ID: AccountClientID, Secret: "a-long-enough-secret-for-this-test", RedirectURIs: []string{"https://app.example.com/cb"}}}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	if c.AccountClient() != nil {
		t.Fatal("account.enabled: false still built the client")
	}
	if cl, _ := c.Client(AccountClientID); cl != &c.Clients[0] {
		t.Fatal("the operator's client of that id was replaced")
	}
}

func TestAccountClientIDIsReserved(t *testing.T) {
	c := Default()
	c.Clients = []Client{{ID: AccountClientID, Secret: "a-long-enough-secret-for-this-test", RedirectURIs: []string{"https://app.example.com/cb"}}}
	err := c.Finish()
	if err == nil || !strings.Contains(err.Error(), "clients[0].id") {
		t.Fatalf("Finish = %v; want an error naming clients[0].id", err)
	}
}
