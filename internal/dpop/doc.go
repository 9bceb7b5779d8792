// Package dpop verifies DPoP proofs (RFC 9449, OAuth 2.0 Demonstrating
// Proof of Possession): the JWT a client sends in the DPoP header to show
// that it holds the private key its tokens are bound to.
//
// It is plain Go with an injected clock. The HTTP edge (internal/oauth)
// hands it the header's value, the request's method and the endpoint's
// URL, and gets back the key's JWK SHA-256 thumbprint (RFC 7638), which
// grant and refresh use as an input, never knowing about HTTP.
//
// Replay of a proof's jti is refused through the store (UseJTI, namespaced
// "dpop:"+thumbprint), so every node of a cluster sees every proof. Server
// nonces (RFC 9449 §8) are stateless: a MAC over a time slot under a key
// derived from the system secret, so every node accepts every other node's
// nonces and a restart changes nothing.
package dpop
