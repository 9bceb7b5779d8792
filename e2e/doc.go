// Package e2e holds Tollgate's end-to-end tests: the real HTTP server on a
// loopback port, on a real SQLite file, driven by client libraries others
// wrote (golang.org/x/oauth2, github.com/coreos/go-oidc/v3) and by raw HTTP
// for what those libraries do not send.
package e2e
