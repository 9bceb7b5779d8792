// Package admin is the admin listener (config admin.listen): a separate
// HTTP server, on loopback by default, that serves /metrics
// (internal/metrics) and the admin API (api.go, described by
// openapi.yaml) under /api/v1.
//
// Every route is behind an Authorizer: the admin token
// (TOLLGATE_ADMIN_TOKEN or admin.token_file, compared in constant time),
// or an access token with the tollgate:admin scope that a client got
// through client credentials (ClientScope). Who was authorized travels in
// the request's context (CallerFrom) to the audit trail. The command line
// runs the same API in process over the store (Trusted), so the CLI and
// the API cannot drift apart.
package admin
