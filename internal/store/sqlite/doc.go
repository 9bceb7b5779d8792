// Package sqlite is Tollgate's embedded default store.Store, on
// modernc.org/sqlite (SQLite transpiled to Go, so CGO_ENABLED=0 builds keep
// working).
//
// Shape, and why:
//   - One writer connection (SetMaxOpenConns(1), BEGIN IMMEDIATE). SQLite
//     admits one writer at a time anyway; queueing writers in database/sql
//     instead of in SQLite's lock means no SQLITE_BUSY between our own
//     connections and no deferred transaction that must upgrade its lock
//     half-way. Every conditional write (rotation, code redemption, jti) is
//     therefore serialised, which is what makes "exactly one rotation wins"
//     hold without retries.
//   - A separate pool of query_only connections for reads. In WAL mode readers
//     never block the writer or each other, and a read started after a commit
//     sees it, so a revocation is visible at once.
//   - WAL with synchronous=NORMAL: a commit is a write to the log, not an
//     fsync; a power loss can lose the last transactions but never corrupts
//     the file. That is the trade that makes >10,000 rotations/s possible.
//   - Times are INTEGER unix microseconds in UTC (NULL for the zero time):
//     exact, ordered, index-friendly, and the precision PostgreSQL keeps, so
//     both backends return the same values. Scopes and AMR are JSON arrays.
//   - The schema is a versioned list of migrations (schema.go) recorded in
//     schema_migrations; Open applies whatever is missing.
package sqlite
