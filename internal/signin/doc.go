// Package signin holds the rules of the browser sign-in flow, in plain Go
// over a narrow store and an injected clock: parking a request while the
// user signs in or consents (and the requests a client pushes, RFC 9126),
// browser sessions (start, find, end), remembered consent, what a request
// needs next (Decide, over authorize.Next), the code that completes it
// (through internal/authcode), and the decisions of a logout (which grants
// to revoke, which clients to tell).
//
// It knows no HTTP: cookies, CSRF tokens, pages and redirects are the
// edge's (internal/oauth). A cookie's value comes in and goes out as a
// string; the store only ever sees its hash.
package signin
