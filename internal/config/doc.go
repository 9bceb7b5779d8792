// Package config reads tollgate.yaml, fills in defaults, and validates the
// whole file before the server starts, so nothing is read or checked at
// request time.
//
// Decoding is strict: an unknown key is an error naming the key, because a
// misspelt "allow_offline_acess" that was silently ignored would change who
// gets refresh tokens. Durations are Go duration text ("5m", "360h").
//
// Validation reports every problem at once (see Error), each naming the field
// path and why it is wrong, so an operator fixes the file in one pass. The
// rules encode the product's refresh-token policy (mission/seed-refresh-tokens):
// only a confidential client explicitly configured with allow_offline_access,
// the refresh_token grant and the offline_access scope may ever receive a
// refresh token; public clients never do.
//
// Finish also hashes what must not stay in memory in the clear: client
// secrets become "sha256:..." hashes (internal/secret) and user passwords
// argon2id hashes, and it builds the O(1) lookups the endpoints use.
package config
