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
// Named refresh tokens (refreshname.go). A refresh token names its grant
// and generation, under a tag only the system secret can make:
//
//	tgrt_<grant id>.<generation>.<43-char secret><22-char tag>
//
// e.g. tgrt_3q2-7w8Jd1fHkA0gD3sZpQ.41.<65 characters>, 95 to 103
// characters for the 22-character ids of NewID. Why:
//   - Store size. A client that refreshes every five minutes for 30 days
//     makes 8,640 tokens. The store keeps two per grant (the live token and
//     the one it replaced, for a retry within the grace window); a token of
//     an older generation is known to be a consumed one of that grant by its
//     name, so presenting it still counts as reuse and revokes the grant
//     after its row is gone. Without the name, the only way to recognise an
//     old token was to keep its hash for ever.
//   - The tag is the first 128 bits of HMAC-SHA256 under a key of its own
//     (HKDF label "tollgate/refresh-name/v1", independent of the rotation
//     key), over everything before it: prefix, name and secret. Nobody
//     without the system secret can name a grant, so a guessed or edited
//     name (another grant, another generation) cannot revoke anything; it
//     is refused before the store is asked. 128 bits is ample for a tag
//     that can only be tried online. It is compared with hmac.Equal.
//   - The secret part carries the 256 bits as before: random for generation
//     0, DeriveSuccessor's derivation for a successor (so a retry recomputes
//     the same token). The store keeps only HashToken of the whole value,
//     so a copy of the database still yields no usable token, and the name
//     grants nothing by itself: a token is usable only while its hash is
//     the live row.
//   - The prefix stays tgrt_ for secret scanners; a pattern for both shapes
//     is tgrt_([A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{1,64}\.[0-9]{1,9}\.[A-Za-z0-9_-]{65}).
//     base64url has no ".", so the dots split a token one way only; grant
//     ids that are not 1 to 64 base64url characters are refused at minting,
//     generations have no leading zero and at most nine digits.
//   - The grant id and the generation are visible to whoever holds the
//     token. Both are the holder's own: an id names nothing to anyone
//     without access to the store, and the generation says how many times
//     the client refreshed.
//
// Legacy tokens (tgrt_ and 43 characters, from builds before named tokens)
// keep working: they are looked up by hash, rotate into named successors,
// and are unknown once their row is gone. Open tells the shapes apart; its
// parse allocates nothing, and the tag is checked only for a token whose
// shape is right.
//
// Signed tokens (minter.go, idtoken.go, payload.go): the claims are
// encoded once, the registered ones and the user's into one pooled buffer,
// and signed by keys.JWSSigner, Tollgate's own compact JWS serialization
// over the standard library's signatures (no go-jose on the signing path;
// go-jose still verifies, in verify.go). Headers and payloads are byte for
// byte what go-jose and json.Marshal wrote before.
//
// The Minter is safe for concurrent use: it holds the issuer and a
// keys.Set, whose signers are built once and shared.
package mint
