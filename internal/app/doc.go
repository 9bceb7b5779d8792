// Package app wires Tollgate together from a configuration: system secret,
// store, signing keys, the refresh lifecycle, client authentication, the
// grant pipeline and the HTTP edge. cmd/tollgate and the end-to-end tests
// both start the server through it, so the tests run what users run.
//
// One App is one node. Several nodes may share a PostgreSQL store
// (store.go opens it with storage_options and the password from the
// environment or a file); each names itself (node.go), reloads the signing
// keys on a schedule, and runs the janitor, of which only the holder of
// the store lease "janitor" does the work (janitor.go).
package app
