// Package sqlite is Tollgate's embedded default store.Store, on
// modernc.org/sqlite (SQLite translated to Go, so CGO_ENABLED=0 builds keep
// working). Open creates the file and its directory and applies the schema
// migrations in schema.go.
//
// Shape, and why:
//   - One writer connection (SetMaxOpenConns(1), BEGIN IMMEDIATE). SQLite
//     admits one writer at a time anyway; queueing writers in Go instead of
//     on SQLite's lock means no SQLITE_BUSY between our own connections and
//     no transaction that must upgrade its lock half-way. Every conditional
//     write (rotation, code or request redemption, jti) is therefore
//     serialised, which is what makes "exactly one rotation wins" hold
//     without retries.
//   - A pool of query_only connections for reads. In WAL mode readers never
//     block the writer or each other, and a read that starts after a commit
//     sees it, so a revocation is visible at once.
//   - But the refresh lookup runs on the writer, in the rotator's batch
//     (lookup.go): a reader's page cache is emptied by every commit of the
//     writer, the writer's own is not, so the lookup's pages stay cached and
//     are the ones the token's rotation writes next. It too starts its
//     transaction after it was asked, so it sees every earlier commit.
//   - WAL with synchronous=NORMAL: a commit is a write to the log, not an
//     fsync. A power cut can lose the last commits but never corrupts the
//     file; that is the trade that makes ~10,000 rotations/s possible.
//   - Rotations are group-committed by one goroutine (rotate.go), and WAL
//     checkpoints run off the writer's path (checkpoint.go): the two costs
//     that dominated the profile of the hot path.
//   - A grant keeps two token rows: a rotation deletes the token that the
//     consumed one replaced, in the same batch transaction: a DELETE of
//     the row at (grant_id, seq-1) of the consumed token, a primary-key
//     probe on the page the INSERT just wrote. The table grows with live
//     grants, not with refreshes.
//   - Times are INTEGER unix microseconds in UTC, NULL for the zero time:
//     exact, ordered, index-friendly, and the precision PostgreSQL keeps, so
//     both backends return the same values. Scopes and AMR are JSON arrays.
package sqlite
