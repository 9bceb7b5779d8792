// Package throttle bounds what abuse can cost the server, in plain Go with
// an injected clock and no HTTP:
//
//   - Gate bounds how many expensive operations (password hashes: one
//     argon2id check holds 19 MiB) run at once, with a short bounded queue.
//     When the slots and the queue are full it sheds the request at once
//     (ErrBusy) instead of queuing memory: the caller answers 429.
//   - Backoff counts failures per key (a username, a client address) and,
//     after a number of free failures within a window, refuses the key for
//     a delay that doubles with each further failure, up to a cap. RFC 6749
//     §10.10 and §4.3.2 ask the authorization server to protect password
//     checks against credential guessing; this is that protection, as the
//     OWASP Authentication Cheat Sheet describes it (throttling with
//     exponential backoff rather than a permanent lockout).
//   - Rate is a token bucket per key (a client id, a client address) that
//     bounds how many rows unauthenticated callers can make the server store
//     (parked and pushed authorization requests) within a window.
//
// Every keyed table holds at most a fixed number of keys and evicts the
// least recently used one when full, so an attacker who invents keys
// (usernames, addresses) costs a bounded amount of memory. Keys are stored
// as a SHA-256 of the caller's string, so a long username costs no more
// than a short one.
//
// State is per process: a cluster of N nodes allows N times the limits.
package throttle
