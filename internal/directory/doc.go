// Package directory answers "who is this?" at request time for the
// parties registered at run time as well as those of the configuration
// file: clients (clients.go) and users (users*.go).
//
// The file's entries are fixed for the life of the process and always win
// a lookup; the store's are served from a snapshot each node holds in
// memory, so a lookup on the hot path (a refresh, a token request) costs a
// map read and no store round trip. A snapshot is reloaded on a fixed
// bound (10 s for clients), and once at most every second when a lookup
// misses, so an entry created on one node works on another within the
// bound, and at once on a node that had never seen it; a change or a
// disable is in force on every node within the bound, and at once on the
// node that made it (Reload). A snapshot that cannot be reloaded (the
// store is down) keeps serving what it holds, logged, and is tried again
// every second.
//
// Each kind of entry is its own type with its own snapshot and file, so
// clients and users can change independently; both take the clock and the
// store as inputs, for tests.
package directory
