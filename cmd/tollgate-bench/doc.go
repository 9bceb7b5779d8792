// Command tollgate-bench measures refresh grants against a running Tollgate
// server, and checks the refresh-token rules while it does (see
// docs/performance.md for the commands and the figures).
//
//	go run ./cmd/tollgate-bench -h
//
// It prepares chains (grants, each with its current refresh token) in one
// of three ways: -grants N through the password grant, one sign-in after
// the other as the server's password throttle allows; -prefill -grants N
// -config FILE written straight into the server's store (1M, 10M grants),
// of which -drive K are driven and the rest are ballast; or -tokens FILE
// saved by an earlier run. Then, for each C of -c, it runs C workers for
// -d (after -warmup), each rotating its own chains one after the other,
// and prints refreshes/s, the latency percentiles, the errors by kind, and
// with -pid the server's CPU and peak RSS, with -cpu-of NAME the CPU of
// every process of that name (-cpu-of postgres), and its own CPU, each
// also per refresh, and with -metrics URL the store's group-commit batches
// in the window, by operation, read from the node's /metrics (token:
// $TOLLGATE_ADMIN_TOKEN). -json FILE appends one line per run. Each
// worker posts over a connection of its own that it writes and reads
// itself (-http lean, lean.go), so the tool takes less of the CPU the
// server under test shares; -http net/http uses Go's client instead.
//
// The client authenticates with its secret (-auth basic or post), or with
// a client assertion signed for every request (-auth private_key_jwt
// -assertion-key FILE, RFC 7523; assertion.go), which a client of
// profile: helseid must (examples/bench-helseid.yaml). With -dpop FILE
// every token request also carries a DPoP proof (RFC 9449; dpop.go), and
// -prefill binds the grants to that key. Both are signed ES256 by
// keys.JWSSigner, the server's own compact-JWS writer, with one P-256 key
// each (keyfile.go), made 0600 when the file is missing.
//
// Rule checks are counted apart from other errors (rules.go): a one_time
// refresh that returns the presented token again, a deliberate retry
// (-retry-every) answered with another successor or refused, a revoked
// chain (-revoke-every) whose token is still accepted, and (-check-store)
// a driven grant with other than one live refresh token in the store.
//
// The token file holds live refresh tokens in the clear, mode 0600: bench
// data for a bench server. Without -allow-remote the tool refuses a target
// that is not on loopback.
package main
