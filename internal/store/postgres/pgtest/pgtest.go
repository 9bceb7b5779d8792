// Package pgtest gives tests a PostgreSQL to work in: the server named by
// TOLLGATE_TEST_POSTGRES (scripts/test-postgres.sh starts a throwaway one),
// and a schema of its own per test. It is imported by tests only.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that holds the test server's DSN.
const Env = "TOLLGATE_TEST_POSTGRES"

// How says how to turn the PostgreSQL tests on.
const How = Env + " is not set. Start a throwaway PostgreSQL with " +
	"`eval \"$(scripts/test-postgres.sh start)\"` (from the repository root) and run the tests again; " +
	"stop it with `scripts/test-postgres.sh stop \"$TOLLGATE_TEST_POSTGRES_DIR\"`"

// BaseDSN returns the test server's DSN. Without one the test is skipped,
// except in CI (CI set), where a PostgreSQL test that does not run is a
// failure: .ci/run starts the server, so a missing DSN is a broken run.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set: the PostgreSQL tests must run. " + How)
		}
		t.Skip(How)
	}
	return dsn
}

// WithParams adds connection parameters to a URL or keyword/value DSN.
func WithParams(t testing.TB, dsn string, params map[string]string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s does not parse as a URL", Env) // the error would quote a password
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range params {
		dsn += " " + k + "='" + v + "'"
	}
	return dsn
}

// Schema creates an empty schema named prefix_<random> for one test,
// dropped with everything in it when the test ends, and returns the test
// server's DSN with search_path set to it and params added.
func Schema(t testing.TB, prefix string, params map[string]string) string {
	t.Helper()
	base := BaseDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	exec := func(q string) error {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, q)
		return err
	}
	if err := exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema %s on %s: %v", schema, Env, err)
	}
	t.Cleanup(func() {
		if err := exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	p := map[string]string{"search_path": schema}
	for k, v := range params {
		p[k] = v
	}
	return WithParams(t, base, p)
}
