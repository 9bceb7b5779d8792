// Package app wires Tollgate together from a configuration: system secret,
// store, signing keys, the refresh lifecycle, client authentication, the
// grant pipeline and the HTTP edge. cmd/tollgate and the end-to-end tests
// both start the server through it, so the tests run what users run.
package app
