// Package mint makes token values: opaque refresh tokens and authorization
// codes, their storage hashes, the keyed derivation of a refresh token's
// successor, and signed JWTs (RFC 9068 access tokens and OpenID Connect ID
// tokens). It decides no policy: lifetimes, audiences and scopes arrive in
// the claims its callers fill in.
//
// Opaque values are a short prefix ("tgrt_", "tgac_") and 256 random bits.
// The prefix lets secret scanners and people tell a Tollgate token at a
// glance; the store keeps only HashToken of the value (SHA-256 suffices: the
// input has 256 bits of entropy, so no slow hash is needed).
//
// Retry-safe rotation: DeriveSuccessor computes a refresh token's successor
// as an HMAC of the presented token, so a client that retries a refresh
// whose response it lost gets the same successor again, and concurrent
// retries agree, while the database, which holds only hashes, cannot be used
// to recompute any token.
//
// The Minter is safe for concurrent use: it holds the issuer and a
// keys.Set, whose signers are built once and shared.
package mint
