// Package e2e holds Tollgate's end-to-end tests: the real HTTP server on a
// loopback port, on a real SQLite file, driven by client libraries others
// wrote (golang.org/x/oauth2, github.com/coreos/go-oidc/v3) and by raw HTTP
// for what those libraries do not send.
//
// The cluster tests (TestMultiNode*, TestCluster*) run three real
// `tollgate serve` processes on one PostgreSQL database behind a load
// balancer in the test (lbproxy_test.go), which sends each request to the
// node a test chooses. They need TOLLGATE_TEST_POSTGRES (an admin DSN;
// scripts/test-postgres.sh start prints it) and create a database of their
// own from it; TestClusterDatabaseDown starts a PostgreSQL server of its own
// with that script, because it stops it.
package e2e
