// Package postgres is Tollgate's shared store.Store, on PostgreSQL through
// github.com/jackc/pgx/v5 (pgxpool), for several stateless nodes behind a
// load balancer. Tested on PostgreSQL 15; the SQL is written so that
// PostgreSQL-compatible distributed databases (CockroachDB, YugabyteDB)
// would also accept it (designed for, not tested).
//
// # Settings and their defaults
//
// Open takes a DSN (postgres://user@host:5432/db?sslmode=verify-full, or
// keyword/value) with every parameter pgx understands (sslmode,
// sslrootcert, pool_max_conns, connect_timeout, ...), and Options. A field
// set in Options wins over the DSN; a setting in neither takes its default:
//
//   - MaxConns (pool_max_conns): 10 connections per node, and besides
//     them at most two for the refresh hot path's batches, in a pool of
//     their own that never replans its statements (hotPool).
//   - StatementTimeout (statement_timeout): 5s. Each store call, retries
//     included, gets this long; the server is also told to end any
//     statement at this limit (statement_timeout), so a call never waits
//     longer than that for a lock or a plan. Past it the call fails with
//     store.ErrUnavailable.
//   - ConnectTimeout (connect_timeout): 5s per connection attempt.
//   - Password: overrides the DSN's, so it may come from an environment
//     variable or a file rather than the config file.
//   - NoMigrate: Open does not apply migrations (`tollgate migrate` does).
//     Without it, Open migrates (Migrate).
//
// # Why exactly one rotation wins
//
// A rotation is one statement (rotate.go: consume the old token with a
// conditional UPDATE ... WHERE consumed_at IS NULL, and only if that
// UPDATE returned a row, write the successor over the old token's
// predecessor, or insert it when there is none), so it is atomic. A node
// group-commits them (writer.go): the rotations and jti uses queued while
// its last batch ran go as one pipeline in one transaction, one round trip
// and one WAL flush, each still its own statement with its own snapshot,
// and no caller hears "ok" before the commit. Of concurrent rotations of one
// token, in one batch, on one node or many:
//
//   - Under READ COMMITTED (the default), the UPDATE takes the old token's
//     row lock. Every other rotation's UPDATE waits on that lock; when the
//     first commits, PostgreSQL re-checks the waiting UPDATE's WHERE on the
//     row's newest version (EvalPlanQual), finds consumed_at set, and skips
//     the row: that statement inserts nothing. If the first rolls back, the
//     next waiter gets the row as it was. So exactly one UPDATE returns the
//     row, and only it inserts a successor.
//   - Under SERIALIZABLE (or REPEATABLE READ), the waiting UPDATE fails
//     with a serialization failure (40001) instead. Every call is retried
//     on 40001 and 40P01 (retry.go: bounded, with jittered backoff; never
//     seen by a caller, or past the bound as store.ErrUnavailable), and the
//     retry's snapshot shows the token consumed.
//
// The loser then reads why nothing matched (the cold path): no such token
// is store.ErrNotFound, a consumed token or a revoked grant
// store.ErrConflict. A successor hash the grant holds fails the statement
// as a whole (unique_violation, store.ErrConflict), so nothing is
// half-done.
// None of this depends on an advisory lock or on a single writer in Go.
//
// Codes and parked requests are consumed the same way (a conditional
// UPDATE ... RETURNING), and UseJTI and TakeLease are one INSERT ... ON
// CONFLICT DO UPDATE ... WHERE, which locks the existing row and judges
// its newest version.
//
// # Errors
//
// Connection failures, pool-acquire timeouts, statement timeouts (57014),
// a server shutting down or starting up, and a deadline from the
// StatementTimeout are wrapped in store.ErrUnavailable, so an endpoint
// answers 503 and the client retries. A statement that failed before
// anything was sent is retried on another connection. A caller's own
// cancellation stays context.Canceled. Nothing is logged with a token,
// hash or password in it.
//
// # Schema
//
// Embedded, versioned, forward-only migrations (migrations/NNNN_name.sql),
// recorded in schema_migrations and applied in one transaction under a
// transaction-scoped advisory lock per schema, so two nodes starting at
// once take turns; a database at a newer version than the build knows is
// refused. The DSN's search_path decides the schema. Keys are the records'
// own text ids and hashes, a refresh token's its grant's id and a slot
// (no SERIAL: no sequence hot spot on a distributed database). Times are
// timestamptz, NULL for the zero time: PostgreSQL keeps microseconds,
// which is what SQLite's integer microseconds hold too, and an operator
// reading a row in psql sees a date, not a number. Lists are text[].
// Every lookup and every DeleteExpired predicate has an index.
//
// # The janitor
//
// DeleteExpired deletes at most 1000 rows per statement, each statement
// its own transaction, and takes its rows FOR UPDATE SKIP LOCKED: it
// never waits for a row a refresh holds (that row goes in a later run),
// and a refresh waits at most for one short batch.
//
// # The refresh hot path
//
// A refresh is two statements, each a prepared statement sent in a batch
// with the other refreshes' (batch.go): the lookup (lookupSQL: two
// primary-key probes a token; one statement reads a batch's lookups) and
// the rotation (rotateSQL; a batch's rotations are one transaction).
// Every table read in both is an index probe, in the custom and in the
// generic plan (TestHotPathPlans): of a whole key, or of a grant's two
// token rows by grant_id.
//
// A grant's tokens are keyed (grant_id, slot), slot = generation % 2
// (migration 0010), and no index covers a column whose value a rotation
// changes, but for the expiry's hour once an hour (below): the consumed
// token's update and the rewrite of its predecessor's row as the successor
// (the same slot) are HOT updates (fillfactor 80 keeps room on the page),
// which write no index entry, so a probe by grant_id meets no dead entries
// between vacuums (TestRotationTouchesNoIndex). A rotation writes about
// 390 bytes of WAL in two or three records (pg_stat_statements), where it
// wrote 670 in six while the rewrite changed the indexed hash, generation
// and expires_at. The janitor finds idle-expired tokens by the hour their
// expiry falls in (expires_hour, written with expires_at since migration
// 0011; generated before it), which a rotation changes only when it moves
// the expiry into another hour. No foreign-key check runs (the row stays
// in its grant), so the grant's row is neither locked nor its page
// dirtied. Its commit waits for the WAL flush (synchronous_commit is left
// as the server has it, on by default); concurrent commits share one
// flush.
//
// # Connection poolers
//
// pgx prepares each statement once per connection and reuses it (one
// round trip per call). Behind PgBouncer in transaction mode, use
// PgBouncer 1.21 or later with max_prepared_statements set, or add
// default_query_exec_mode=exec to the DSN. The store sends
// statement_timeout, and on the hot path's connections plan_cache_mode,
// as startup parameters, which PgBouncer refuses unless they are in its
// ignore_startup_parameters; there, they are dropped, so the server's own
// settings apply (each call still ends at the StatementTimeout, on the
// client's clock), and the hot path's statements are planned as
// PostgreSQL chooses.
package postgres
