// Package secret generates client secrets and hashes and verifies client
// secrets and user passwords.
//
// Two kinds of hash live here, on purpose:
//
//   - Client secrets are machine-generated with at least 256 bits of entropy
//     (Generate; config refuses secrets shorter than MinSecretLength), so a
//     single SHA-256 is enough: there is nothing to brute-force, and the token
//     endpoint verifies a secret on every request (RFC 6749 §2.3.1), where a
//     slow hash would cost tens of milliseconds per call.
//   - User passwords are chosen by people and guessable, so they are hashed
//     with argon2id (RFC 9106) using the OWASP-recommended parameters. bcrypt
//     hashes are accepted on verification so users can be imported from other
//     systems.
//
// Every comparison of a secret or hash runs in constant time (crypto/subtle),
// so the time an answer takes says nothing about how close a guess was.
// Equaliser goes further for sign-in: every password check computes one hash
// of each cost class the users' hashes use, so neither an unknown username
// nor a user's hash kind shows in the time an answer takes.
package secret
