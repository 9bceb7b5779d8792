package config

import (
	"fmt"
	"strings"
)

// AccountClientID is the id of the built-in client of the account page
// (/account): a public client of the server itself that signs a person in
// through the usual authorize endpoint, as Keycloak's account console does.
const AccountClientID = "tollgate-account"

// AccountCallbackPath is where the account page's client receives its
// authorization response, below the issuer's path.
const AccountCallbackPath = "/account/callback"

// Account is the account page, a person's own view of the applications that
// hold offline access for them (internal/account).
type Account struct {
	// Enabled serves /account and registers its built-in client
	// (AccountClientID). Default true.
	Enabled *bool `yaml:"enabled"`
}

// On reports whether the account page is served (the default).
func (a Account) On() bool { return a.Enabled == nil || *a.Enabled }

// AccountClient returns the account page's built-in client, or nil when
// the page is off. Valid after Finish. It is not in Clients (the operator's
// list) but Client(AccountClientID) finds it, so the authorize endpoint
// serves it like any other, and the admin API treats it as read-only.
func (c *Config) AccountClient() *Client { return c.accountClient }

// checkAccount refuses an operator's client that takes the built-in id
// while the page is on: two clients with one id would be ambiguous.
func (c *Config) checkAccount(ck *checker) {
	if !c.Account.On() {
		return
	}
	for i := range c.Clients {
		if c.Clients[i].ID == AccountClientID {
			ck.add(fmt.Sprintf("clients[%d].id", i), "%q is the account page's built-in client; choose another id, or set account.enabled: false", AccountClientID)
		}
	}
}

// buildAccountClient makes the built-in client (Finish, after validation):
// public, PKCE (RFC 9700 §2.1.1), scope openid only and never
// offline_access, so it never holds a grant and never asks for consent;
// its one redirect URI is the issuer's /account/callback.
func (c *Config) buildAccountClient() {
	c.accountClient = nil
	if !c.Account.On() {
		return
	}
	cl := &Client{
		ID: AccountClientID, Name: "Tollgate", Type: ClientPublic, AuthMethod: AuthNone,
		RedirectURIs:  []string{strings.TrimSuffix(c.Issuer, "/") + AccountCallbackPath},
		GrantTypes:    []string{GrantAuthorizationCode},
		Scopes:        []string{ScopeOpenID},
		ResponseTypes: []string{ResponseCode},
		RequirePKCE:   true,
	}
	cl.applyDefaults(c.Tokens)
	cl.DPoPSigningAlgs = c.DPoP.SigningAlgs
	c.accountClient = cl
	c.clientsByID[cl.ID] = cl
}
