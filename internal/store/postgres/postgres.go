package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

var _ store.Store = (*DB)(nil)

// Defaults for the zero Options (package doc).
const (
	DefaultMaxConns         = 10
	DefaultStatementTimeout = 5 * time.Second
	DefaultConnectTimeout   = 5 * time.Second
)

// Options tune Open. The zero value is the defaults; a field that is set
// wins over the same setting in the DSN.
type Options struct {
	MaxConns         int32         // pool size; 0: pool_max_conns from the DSN, else 10
	StatementTimeout time.Duration // 0: statement_timeout from the DSN, else 5s; also sent as statement_timeout
	ConnectTimeout   time.Duration // 0: connect_timeout from the DSN, else 5s
	Password         string        // overrides the DSN's password when set
	NoMigrate        bool          // Open does not migrate (tollgate migrate does)
	Log              *slog.Logger  // nil: discard
}

// DB is a Tollgate store in a PostgreSQL database (or schema: the DSN's
// search_path decides where the tables live).
type DB struct {
	pool    *pgxpool.Pool // everything but the hot path's batches
	hot     *pgxpool.Pool // the hot path's batches (hotPool)
	timeout time.Duration // per call, retries included (the StatementTimeout)
	log     *slog.Logger
	retries atomic.Int64 // statements and transactions retried (40001, 40P01, ...)
	batched store.BatchCounts
	legacy  store.LegacyPrune // DeleteExpired's walk of legacy_refresh_hashes (janitor.go)

	writes       chan write    // rotations and jti uses, to the writer (writer.go); unbuffered
	lookups      chan *lookup  // to the readers (lookup.go); unbuffered
	closing      chan struct{} // closed by Close
	closeOnce    sync.Once
	batchersDone sync.WaitGroup
}

// Open connects to the database at dsn (a postgres:// URL or a
// keyword/value string, as pgx takes them), checks that it answers, and,
// unless o.NoMigrate, applies the schema migrations it lacks (Migrate).
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	cfg, timeout, err := poolConfig(dsn, o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	hot, err := pgxpool.NewWithConfig(ctx, hotPool(cfg))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{pool: pool, hot: hot, timeout: timeout, log: o.Log, writes: make(chan write),
		lookups: make(chan *lookup), closing: make(chan struct{})}
	if db.log == nil {
		db.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// On a failure below no batcher runs yet: Close closes both pools.
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err // "postgres: ping: ...", ErrUnavailable when unreachable
	}
	if !o.NoMigrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	for range writers {
		db.batchersDone.Add(1)
		go batches(db, db.writes, maxBatch, db.writeBatch)
	}
	for range readers {
		db.batchersDone.Add(1)
		go batches(db, db.lookups, maxLookups, db.lookupBatch)
	}
	return db, nil
}

// poolConfig merges the DSN, the Options and the defaults, and returns the
// pool's configuration and the per-call timeout.
func poolConfig(dsn string, o Options) (*pgxpool.Config, time.Duration, error) {
	// The parse errors of pgx quote the DSN, password and all (redacted
	// only on a best-effort basis), so none of their text is passed on.
	raw, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, 0, errors.New("postgres: open: the DSN does not parse as a postgres:// URL or keyword/value string")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, 0, errors.New("postgres: open: the DSN's pool settings (pool_*) do not parse")
	}
	switch {
	case o.MaxConns < 0:
		return nil, 0, fmt.Errorf("postgres: open: MaxConns %d is negative", o.MaxConns)
	case o.MaxConns > 0:
		cfg.MaxConns = o.MaxConns
	case raw.RuntimeParams["pool_max_conns"] == "":
		cfg.MaxConns = DefaultMaxConns
	}
	switch {
	case o.ConnectTimeout < 0:
		return nil, 0, fmt.Errorf("postgres: open: ConnectTimeout %v is negative", o.ConnectTimeout)
	case o.ConnectTimeout > 0:
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	case cfg.ConnConfig.ConnectTimeout == 0:
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	timeout := o.StatementTimeout
	switch {
	case timeout < 0:
		return nil, 0, fmt.Errorf("postgres: open: StatementTimeout %v is negative", timeout)
	case timeout == 0 && cfg.ConnConfig.RuntimeParams["statement_timeout"] != "":
		timeout, err = pgDuration(cfg.ConnConfig.RuntimeParams["statement_timeout"])
		if err != nil || timeout <= 0 {
			return nil, 0, fmt.Errorf("postgres: open: statement_timeout %q in the DSN: want a positive duration such as 5000 or 5s",
				cfg.ConnConfig.RuntimeParams["statement_timeout"])
		}
	case timeout == 0:
		timeout = DefaultStatementTimeout
	}
	// The server ends a statement at the same limit, so a lock wait or a
	// slow plan never holds a connection longer than the caller waits.
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	if o.Password != "" {
		cfg.ConnConfig.Password = o.Password // fallback hosts share it
	}
	return cfg, timeout, nil
}

// hotConns is how many connections the hot path's batches use at most:
// one per batch a node may have in flight.
const hotConns = writers + readers

// hotPool is the configuration of the pool the hot path's batches run on
// (the lookups, the rotations and the jti uses, each batch one statement
// or one pipeline): cfg's, with a connection per batcher, and
// plan_cache_mode=force_generic_plan. PostgreSQL plans a prepared
// statement anew for each of its first five executions, then keeps one
// plan if it is no dearer than their average, and otherwise goes on
// planning every execution. The lookup's generic plan assumes 100 pairs
// from unnest; a batch holds a few, so on a connection whose first
// batches were small the custom plans stayed cheaper, and 30 % of lookup
// batches were planned anew, 0.3 ms each, a tenth of PostgreSQL's CPU
// per refresh (pg_stat_statements with track_planning, 10k grants, C=32).
// The generic plans of these statements probe the primary keys
// (TestHotPathPlans), so the hot pool never plans them again. The other
// pool keeps PostgreSQL's choice: a generic plan would guess at the
// janitor's and the listings' ranges.
func hotPool(cfg *pgxpool.Config) *pgxpool.Config {
	hot := cfg.Copy()
	hot.MaxConns, hot.MinConns, hot.MinIdleConns = hotConns, 0, 0
	hot.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	return hot
}

// pgDuration reads a PostgreSQL time setting: a number of milliseconds, or
// a number with one of the units us, ms, s, min, h, d.
var pgDurationRE = regexp.MustCompile(`^\s*(\d+)\s*(us|ms|s|min|h|d)?\s*$`)

func pgDuration(s string) (time.Duration, error) {
	m := pgDurationRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("not a duration: %q", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}

// Ping implements store.Store: one round trip on a pooled connection.
func (db *DB) Ping(ctx context.Context) error {
	return db.do(ctx, "ping", func(ctx context.Context) error { return db.pool.Ping(ctx) })
}

// Batches counts the calls sent in batches, and the batches, by kind.
func (db *DB) Batches() *store.BatchCounts { return &db.batched }

// Close stops the batching goroutines once their batches are answered, then closes
// every connection of the pool, waiting for the ones in use. It is safe to
// call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.closing)
		db.batchersDone.Wait()
		db.hot.Close()
		db.pool.Close()
	})
	return nil
}

// CountLiveGrants implements store.Store: one count(*) under the pool's
// statement timeout and retries. The metrics cache its answer.
func (db *DB) CountLiveGrants(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.do(ctx, "count live grants", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, `SELECT count(*) FROM grants WHERE revoked_at IS NULL AND expires_at > $1`, now).Scan(&n)
	})
	return n, err
}
