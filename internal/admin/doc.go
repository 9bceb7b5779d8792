// Package admin is the admin listener (config admin.listen): a separate
// HTTP server, on loopback by default, every route behind a bearer token
// (TOLLGATE_ADMIN_TOKEN or admin.token_file, compared in constant time).
//
// Today it serves /metrics only (internal/metrics). The admin API of
// issue 8 (clients, users, grants, keys) registers its routes on the same
// Server with Handle, behind the same authorization; a client holding the
// tollgate:admin scope through client credentials will be a second
// Authorizer next to the token (see Authorizer), not a change to the routes.
package admin
