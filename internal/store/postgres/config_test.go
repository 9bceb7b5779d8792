package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Options win over the DSN, the DSN over the defaults.
func TestPoolConfig(t *testing.T) {
	const dsnAll = "postgres://u:pw@db.example/tg?pool_max_conns=3&connect_timeout=7&statement_timeout=2s"
	for _, tc := range []struct {
		name     string
		dsn      string
		o        Options
		maxConns int32
		connect  time.Duration
		timeout  time.Duration
		password string
	}{
		{"defaults", "postgres://u:pw@db.example/tg", Options{}, 10, 5 * time.Second, 5 * time.Second, "pw"},
		{"dsn", dsnAll, Options{}, 3, 7 * time.Second, 2 * time.Second, "pw"},
		{"dsn keyword/value", "host=db.example user=u dbname=tg pool_max_conns=4 statement_timeout=1500",
			Options{}, 4, 5 * time.Second, 1500 * time.Millisecond, ""},
		{"options win", dsnAll,
			Options{MaxConns: 20, ConnectTimeout: time.Second, StatementTimeout: 300 * time.Millisecond, Password: "secret"},
			20, time.Second, 300 * time.Millisecond, "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, timeout, err := poolConfig(tc.dsn, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MaxConns != tc.maxConns || cfg.ConnConfig.ConnectTimeout != tc.connect || timeout != tc.timeout ||
				cfg.ConnConfig.Password != tc.password {
				t.Errorf("max conns %d, connect %v, timeout %v, password %q; want %d, %v, %v, %q",
					cfg.MaxConns, cfg.ConnConfig.ConnectTimeout, timeout, cfg.ConnConfig.Password,
					tc.maxConns, tc.connect, tc.timeout, tc.password)
			}
			// The server ends statements at the same limit.
			if got, want := cfg.ConnConfig.RuntimeParams["statement_timeout"], strconv.FormatInt(tc.timeout.Milliseconds(), 10); got != want {
				t.Errorf("statement_timeout sent = %q, want %q", got, want)
			}
		})
	}
}

// A DSN that does not parse, or a bad setting, is an error that never
// quotes the DSN (it may hold a password).
func TestPoolConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		dsn string
		o   Options
	}{
		{"postgres://u:hunter2@db.example:notaport/tg", Options{}},
		{"postgres://u:hunter2@db.example/tg?sslmode=sometimes", Options{}},
		{"postgres://u:hunter2@db.example/tg?pool_max_conns=many", Options{}},
		{"postgres://u:hunter2@db.example/tg?statement_timeout=soon", Options{}},
		{"postgres://u:hunter2@db.example/tg", Options{MaxConns: -1}},
		{"postgres://u:hunter2@db.example/tg", Options{StatementTimeout: -time.Second}},
		{"postgres://u:hunter2@db.example/tg", Options{ConnectTimeout: -time.Second}},
	} {
		_, _, err := poolConfig(tc.dsn, tc.o)
		if err == nil {
			t.Errorf("poolConfig(%q, %+v): err = nil", tc.dsn, tc.o)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("poolConfig(%q): error quotes the password: %v", tc.dsn, err)
		}
	}
}

func TestPgDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1500": 1500 * time.Millisecond, "250ms": 250 * time.Millisecond, "2s": 2 * time.Second,
		"1min": time.Minute, " 3 s ": 3 * time.Second, "10us": 10 * time.Microsecond,
	} {
		if got, err := pgDuration(in); err != nil || got != want {
			t.Errorf("pgDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "-5", "1.5s", "5 fortnights"} {
		if got, err := pgDuration(in); err == nil {
			t.Errorf("pgDuration(%q) = %v, want an error", in, got)
		}
	}
}

// The embedded migrations are numbered 1, 2, ... with no gap; a file that
// breaks that is refused, not skipped.
func TestLoadMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %d, %v", len(ms), err)
	}
	sql := &fstest.MapFile{Data: []byte("SELECT 1")}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"m/0001_a.sql": sql, "m/0003_c.sql": sql},
		"repeat":   {"m/0001_a.sql": sql, "m/0001_b.sql": sql},
		"not at 1": {"m/0002_b.sql": sql},
		"bad name": {"m/0001_a.sql": sql, "m/2_b.sql": sql},
	} {
		if _, err := loadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: err = nil", name)
		}
	}
	got, err := loadMigrations(fstest.MapFS{"m/0002_b.sql": sql, "m/0001_a.sql": sql}, "m")
	if err != nil || len(got) != 2 || got[0].name != "a" || got[1].version != 2 {
		t.Errorf("loadMigrations = %+v, %v", got, err)
	}
}

func testDB() *DB {
	return &DB{timeout: time.Second, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// do retries what the database asks to retry, and nothing else; past the
// bound the caller sees ErrUnavailable, never the SQLSTATE alone.
func TestDoRetries(t *testing.T) {
	ctx := context.Background()
	for _, code := range []string{"40001", "40P01"} {
		db := testDB()
		calls := 0
		err := db.do(ctx, "op", func(context.Context) error {
			if calls++; calls < 3 {
				return &pgconn.PgError{Code: code}
			}
			return nil
		})
		if err != nil || calls != 3 || db.Retries() != 2 {
			t.Errorf("%s twice, then success: err %v after %d calls, %d retries; want nil after 3, 2 retries", code, err, calls, db.Retries())
		}
		calls = 0
		err = db.do(ctx, "op", func(context.Context) error { calls++; return &pgconn.PgError{Code: code} })
		if !errors.Is(err, store.ErrUnavailable) || calls != maxAttempts {
			t.Errorf("%s always: err %v after %d calls; want ErrUnavailable after %d", code, err, calls, maxAttempts)
		}
	}
	for _, err := range []error{&pgconn.PgError{Code: "23505"}, &pgconn.PgError{Code: "42P01"}, store.ErrNotFound} {
		db := testDB()
		calls := 0
		db.do(ctx, "op", func(context.Context) error { calls++; return err })
		if calls != 1 {
			t.Errorf("%v: %d calls, want 1 (no retry)", err, calls)
		}
	}
}

// fail maps each failure to what the caller must do about it.
func TestFail(t *testing.T) {
	db := testDB()
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		want   error
		notWnt error
	}{
		{"statement_timeout", live, &pgconn.PgError{Code: "57014"}, store.ErrUnavailable, nil},
		{"shutdown", live, &pgconn.PgError{Code: "57P01"}, store.ErrUnavailable, nil},
		{"starting up", live, &pgconn.PgError{Code: "57P03"}, store.ErrUnavailable, nil},
		{"too many connections", live, &pgconn.PgError{Code: "53300"}, store.ErrUnavailable, nil},
		{"connection failure", live, &pgconn.PgError{Code: "08006"}, store.ErrUnavailable, nil},
		{"read-only standby", live, &pgconn.PgError{Code: "25006"}, store.ErrUnavailable, nil},
		{"deadline", live, fmt.Errorf("x: %w", context.DeadlineExceeded), store.ErrUnavailable, nil},
		{"eof", live, io.ErrUnexpectedEOF, store.ErrUnavailable, nil},
		{"closed", live, pgconn.ErrConnClosed, store.ErrUnavailable, nil},
		{"duplicate key", live, &pgconn.PgError{Code: "23505"}, store.ErrConflict, store.ErrUnavailable},
		{"caller cancelled", cancelled, &pgconn.PgError{Code: "57014"}, context.Canceled, store.ErrUnavailable},
		{"bug", live, &pgconn.PgError{Code: "42703"}, nil, store.ErrUnavailable},
	} {
		got := db.fail(tc.ctx, "op", tc.err)
		if tc.want != nil && !errors.Is(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if tc.notWnt != nil && errors.Is(got, tc.notWnt) {
			t.Errorf("%s: %v, must not be %v", tc.name, got, tc.notWnt)
		}
		if !strings.HasPrefix(got.Error(), "postgres: op: ") {
			t.Errorf("%s: %q does not say where it came from", tc.name, got)
		}
	}
}

// The hot pool is the general pool's configuration with its own size and
// plan_cache_mode, and a copy: the general pool keeps PostgreSQL's choice
// of plans, and a DSN's pool minimums cannot hold more connections open
// than the hot path uses.
func TestHotPoolConfig(t *testing.T) {
	cfg, _, err := poolConfig("postgres://u@db.example/tg?pool_max_conns=30&pool_min_conns=20&pool_min_idle_conns=20&application_name=tg", Options{})
	if err != nil {
		t.Fatal(err)
	}
	hot := hotPool(cfg)
	if hot.MaxConns != hotConns || hot.MinConns != 0 || hot.MinIdleConns != 0 {
		t.Errorf("hot pool: max %d, min %d, min idle %d; want %d, 0, 0", hot.MaxConns, hot.MinConns, hot.MinIdleConns, hotConns)
	}
	if got := hot.ConnConfig.RuntimeParams["plan_cache_mode"]; got != "force_generic_plan" {
		t.Errorf("hot pool's plan_cache_mode %q, want force_generic_plan", got)
	}
	if got, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; ok || cfg.MaxConns != 30 || cfg.MinConns != 20 {
		t.Errorf("the general pool after hotPool: plan_cache_mode %q, max %d, min %d; want unset, 30, 20", got, cfg.MaxConns, cfg.MinConns)
	}
	for _, k := range []string{"statement_timeout", "application_name"} {
		if hot.ConnConfig.RuntimeParams[k] != cfg.ConnConfig.RuntimeParams[k] || hot.ConnConfig.RuntimeParams[k] == "" {
			t.Errorf("%s: hot %q, general %q; want the DSN's on both", k, hot.ConnConfig.RuntimeParams[k], cfg.ConnConfig.RuntimeParams[k])
		}
	}
}
