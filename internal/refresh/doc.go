// Package refresh is the refresh-token lifecycle, the heart of Tollgate:
// issue a grant's first token, rotate it (one_time) or slide it (reuse),
// hand a retried request the same successor within the grace window, detect
// reuse of a consumed token and revoke the whole grant, and revoke on demand.
//
// The rules here trace back to HelseID's page on refresh tokens
// (shared/mission) and to RFC 6749 §6, RFC 9700 §4.14 (refresh token
// protection: sender-constraining or rotation with reuse detection) and
// OAuth 2.1 §4.3.1. Policy is plain Go over a small store interface with an
// injected clock; it neither signs JWTs nor speaks HTTP.
//
// Retry-safe rotation: the successor of a presented token is derived from it
// with a keyed hash (mint.DeriveSuccessor), so a retry of a lost response
// recomputes the identical successor while the store keeps only hashes, and a
// copy of the database alone yields no usable token.
//
// Store size: a rotation deletes the consumed token's own predecessor, so a
// grant holds two rows however often it refreshes (store.Store
// RotateRefreshToken). A token names its grant and generation under a tag
// keyed by the system secret (mint.RefreshKeys), and that is how an older
// token is still known when it comes back (chain.go): the grant's client,
// state and newest generation (store GrantChain) decide, and a generation
// behind the newest is reuse, which revokes the grant as a row would have.
// A name that does not verify is refused before the store is asked, so
// guessing or editing names revokes nothing.
package refresh
