// Package authorize holds the rules of the authorization endpoint, free of
// HTTP handlers and SQL: validating an authorization request (RFC 6749
// §4.1.1, OIDC Core §3.1.2.1 and §3.3.2 for the hybrid flow, RFC 7636 PKCE,
// RFC 9126 PAR), deciding whether the user must sign in or consent
// (prompt, max_age, OIDC Core §11 for offline_access), and encoding the
// response for its response mode (query, fragment, form_post) with the
// issuer (RFC 9207).
//
// Errors come in two kinds, as RFC 6749 §4.1.2.1 requires: a PageError
// when the client or its redirect URI cannot be trusted (shown to the user,
// never redirected), and an *oautherr.Error for everything after, which is
// sent back to the client's redirect URI.
package authorize
