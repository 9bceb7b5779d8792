// Package authcode owns an authorization code's life (RFC 6749 §4.1):
// its minting and storing at the end of the browser sign-in (internal/signin),
// and its lookup, state and single consumption at the token endpoint
// (internal/grant). The token endpoint's checks of who presents the code
// (client, redirect_uri, PKCE, DPoP key) stay in grant; what a code is, how
// long it lives and how it is used up is decided here, once.
package authcode
