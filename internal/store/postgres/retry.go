package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// maxAttempts bounds the tries of one call; backoff the wait between them.
const maxAttempts = 10

// errRetry: a conditional write matched nothing, yet the row it needed is
// now there and usable (it was committed after the write's snapshot), so
// the write is tried again.
var errRetry = errors.New("state changed under the statement")

// do runs fn, the whole of one store call, under the StatementTimeout, and
// tries it again when the database asks (serialization failure 40001,
// deadlock 40P01), when the connection failed before anything was sent, or
// when fn says errRetry. fn must be safe to repeat: one statement, or one
// transaction, that either committed or did not.
//
// Every error leaves as "postgres: op: ...": the caller's cancellation as
// context.Canceled, an unreachable or too slow database as
// store.ErrUnavailable, a duplicate key as store.ErrConflict.
func (db *DB) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return db.run(ctx, op, db.timeout, fn)
}

// run is do with its own timeout; 0: none but ctx's.
func (db *DB) run(ctx context.Context, op string, timeout time.Duration, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return db.fail(ctx, op, err)
	}
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := fn(cctx)
		if err == nil {
			return nil
		}
		if attempt == maxAttempts || !retryable(err) || cctx.Err() != nil {
			return db.fail(ctx, op, err)
		}
		db.retries.Add(1)
		db.log.Debug("postgres: retrying", "op", op, "attempt", attempt, "cause", sqlState(err))
		t := time.NewTimer(backoff(attempt))
		select {
		case <-cctx.Done():
			t.Stop()
			return db.fail(ctx, op, cctx.Err())
		case <-t.C:
		}
	}
}

// tx runs fn in one transaction (the server's default isolation) under do,
// so the whole transaction is retried.
func (db *DB) tx(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return db.do(ctx, op, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
	})
}

// backoff is full jitter over an exponential ceiling: 2ms, 4ms, ... 128ms,
// so losers of one race do not collide again in lockstep.
func backoff(attempt int) time.Duration {
	ceiling := 2 * time.Millisecond << min(attempt-1, 6)
	return time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond/2
}

// retryable: the database asked for a retry, or nothing reached it.
func retryable(err error) bool {
	switch sqlState(err) {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return errors.Is(err, errRetry) || pgconn.SafeToRetry(err)
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// fail names the error for the caller (see do). parent is the caller's
// context: its cancellation is the caller's own doing and stays
// context.Canceled, while a deadline (the caller's or the StatementTimeout)
// means the database did not answer in time.
func (db *DB) fail(parent context.Context, op string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		return fmt.Errorf("postgres: %s: %w", op, err)
	case errors.Is(parent.Err(), context.Canceled):
		return fmt.Errorf("postgres: %s: %w", op, context.Canceled)
	case unavailable(err):
		db.log.Warn("postgres: unavailable", "op", op, "err", err)
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
	case sqlState(err) == "23505": // unique_violation
		return fmt.Errorf("postgres: %s: %w", op, store.ErrConflict)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unavailable: the database could not be reached or did not answer in
// time, or asked for a retry more often than maxAttempts; a later try may
// succeed, so the caller answers 503.
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, pgconn.ErrConnClosed), pgconn.SafeToRetry(err), errors.Is(err, errRetry):
		return true
	}
	state := sqlState(err)
	switch {
	case state == "":
		return false
	case state[:2] == "08", // connection_exception
		state[:2] == "53",                  // insufficient_resources (too many connections, disk full)
		state == "57014",                   // query_canceled: statement_timeout
		state == "57P01", state == "57P02", // admin_shutdown, crash_shutdown
		state == "57P03",                   // cannot_connect_now (starting up)
		state == "55P03",                   // lock_not_available (lock_timeout)
		state == "25006",                   // read_only_sql_transaction: a standby after failover
		state == "40001", state == "40P01": // still failing after maxAttempts
		return true
	}
	return false
}

// Retries implements store.Retrier: how many statements and transactions
// db retried (40001, 40P01, a connection lost before anything was sent).
func (db *DB) Retries() int64 { return db.retries.Load() }
