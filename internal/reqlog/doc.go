// Package reqlog ties every log line of a request to that request, and
// writes one access line per request.
//
// Access wraps the HTTP handler: it gives each request an id (the one a
// trusted proxy sent in X-Request-Id, when it is sane, else a fresh one),
// returns it as X-Request-Id, and carries it in the request's context with
// the client id once a handler learns it (SetClient). Handler wraps any
// slog.Handler so that every record logged with that context carries
// request_id, whichever package logs it. After the handler returns, Access
// logs one line: method, path (never the query: it may hold a code or a
// token), status, duration, client id and the client's address as the
// trusted-proxy rules give it (internal/proxy).
//
// The access line and the id are on the refresh hot path, so they cost
// a handful of allocations: one struct per request holds the response
// recorder and the request's log fields, ids are built in a stack buffer,
// and nothing goes through fmt.
package reqlog
