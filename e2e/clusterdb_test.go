package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the test's own look at the database
)

// envTestPostgres names the admin DSN of the PostgreSQL server the tests
// may use (scripts/test-postgres.sh start prints it; .ci/run exports it).
const envTestPostgres = pgtest.Env

// adminDSN returns the admin DSN, or skips the test without one; on CI a
// missing DSN fails it, since .ci/run must never skip the PostgreSQL tests.
func adminDSN(t *testing.T) string { return pgtest.BaseDSN(t) }

// clusterDB is the database a cluster's nodes share, created for one test
// and dropped at its end, with a handle for the test's own counts.
type clusterDB struct {
	t       *testing.T
	name    string
	storage string // the DSN the nodes are configured with
	db      *sql.DB
}

// newClusterDB creates a database of its own (tg_<random>) on the server
// admin names; admin is an admin DSN (URL or key=value form).
func newClusterDB(t *testing.T, admin string) *clusterDB {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tg_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adminDB.Close()
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("CREATE DATABASE on %s: %v", envTestPostgres, err)
	}
	d := &clusterDB{t: t, name: name, storage: withDatabase(t, admin, name)}
	t.Cleanup(func() {
		if d.db != nil {
			d.db.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adminDB, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer adminDB.Close()
		// WITH (FORCE), PostgreSQL 13+: a killed node's connection may linger.
		if _, err := adminDB.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	if d.db, err = sql.Open("pgx", d.storage); err != nil {
		t.Fatal(err)
	}
	d.db.SetMaxOpenConns(2)
	return d
}

// withDatabase returns dsn with its database replaced by name.
func withDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", envTestPostgres, err)
		}
		u.Path = "/" + name
		u.Scheme = "postgres" // the storage key accepts both; one spelling in the logs
		return u.String()
	}
	t.Fatalf("%s must be a postgres:// URL (the storage key takes one): %q", envTestPostgres, redactDSN(dsn))
	return ""
}

// redactDSN hides a password in a DSN for a message.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return "(not a URL)"
}

// count runs a COUNT query; the database being down fails the test.
func (d *clusterDB) count(query string, args ...any) int {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	if err := d.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		d.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// grantOf returns the id of the grant a refresh token belongs to.
func (d *clusterDB) grantOf(tokenHash string) string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var id string
	if err := d.db.QueryRowContext(ctx, `SELECT grant_id FROM refresh_tokens WHERE hash = $1`, tokenHash).Scan(&id); err != nil {
		d.t.Fatalf("the grant of a refresh token: %v", err)
	}
	return id
}

// tokenRows describes a grant's refresh-token rows: how many rows, how many
// unconsumed, and the newest generation.
func (d *clusterDB) tokenRows(grantID string) (rows, live, newest int) {
	d.t.Helper()
	rows = d.count(`SELECT COUNT(*) FROM refresh_tokens WHERE grant_id = $1`, grantID)
	live = d.count(`SELECT COUNT(*) FROM refresh_tokens WHERE grant_id = $1 AND consumed_at IS NULL`, grantID)
	newest = d.count(`SELECT COALESCE(MAX(generation), -1) FROM refresh_tokens WHERE grant_id = $1`, grantID)
	return rows, live, newest
}

// revoked reports whether the grant is revoked in the database.
func (d *clusterDB) revoked(grantID string) bool {
	d.t.Helper()
	return d.count(`SELECT COUNT(*) FROM grants WHERE id = $1 AND revoked_at IS NOT NULL`, grantID) == 1
}

func (d *clusterDB) String() string { return fmt.Sprintf("database %s", d.name) }

// liveTokens returns the hashes of a grant's unconsumed refresh tokens.
func (d *clusterDB) liveTokens(grantID string) []string {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := d.db.QueryContext(ctx, `SELECT hash FROM refresh_tokens WHERE grant_id = $1 AND consumed_at IS NULL`, grantID)
	if err != nil {
		d.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			d.t.Fatal(err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		d.t.Fatal(err)
	}
	return out
}
