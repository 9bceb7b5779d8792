package config

import (
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// Client returns the client registered with id. Valid after Finish.
func (c *Config) Client(id string) (*Client, bool) {
	cl, ok := c.clientsByID[id]
	return cl, ok
}

// User returns the user with that username. Valid after Finish.
func (c *Config) User(username string) (*User, bool) {
	u, ok := c.usersByName[username]
	return u, ok
}

// UserBySubject returns the user whose sub claim is sub. Valid after Finish.
func (c *Config) UserBySubject(sub string) (*User, bool) {
	u, ok := c.usersBySub[sub]
	return u, ok
}

// Warnings lists what Finish accepted but an operator should know about
// (plain http issuer, plain-text passwords in the file, ...), one line each,
// for the caller to log at start-up.
func (c *Config) Warnings() []string { return slices.Clone(c.warnings) }

// HasGrant reports whether the client is registered for the grant type
// (RFC 6749 §5.2 unauthorized_client otherwise).
func (cl *Client) HasGrant(name string) bool { return slices.Contains(cl.GrantTypes, name) }

// AllowsScope reports whether the client may request scope s.
func (cl *Client) AllowsScope(s string) bool { return slices.Contains(cl.Scopes, s) }

// Keys returns the client's public keys for private_key_jwt, parsed and
// checked by Finish; nil for other authentication methods.
func (cl *Client) Keys() *jose.JSONWebKeySet { return cl.keys }
