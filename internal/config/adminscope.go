package config

import "slices"

// checkAdminScope: a client that may hold tollgate:admin is a machine
// identity and nothing else. It must be confidential (RFC 6749 §4.4: the
// client credentials grant is for clients that can keep a secret) and its
// only grant is client_credentials, so the scope can never ride on a
// user's sign-in, a refresh token or a browser redirect: an administrator's
// power then lasts one access token, and revoking it is removing the scope
// or the client.
func (cl *Client) checkAdminScope(ck *checker, path string) {
	if !cl.AllowsScope(ScopeAdmin) {
		return
	}
	p := path + ".scopes"
	if cl.Type != ClientConfidential {
		ck.add(p, "%q is only for confidential clients (it is granted through client_credentials)", ScopeAdmin)
	}
	if !slices.Equal(cl.GrantTypes, []string{GrantClientCredentials}) {
		ck.add(p, "%q needs grant_types to be [%s] and nothing else: the admin scope must never come with a user's sign-in or a refresh token",
			ScopeAdmin, GrantClientCredentials)
	}
}
