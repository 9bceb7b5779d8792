package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema history: migrations[i] takes the database to
// version i+1. Append only; never edit a migration that has shipped, because
// databases in the field already ran it.
//
// Tables are STRICT so a wrong type is an error, not a silent conversion.
// Tables looked up by a text key with small rows (every one but signing_keys
// and auth_requests) are WITHOUT ROWID: the row lives in the primary-key
// b-tree, one search instead of two. Times are unix microseconds, NULL for
// "zero" (not yet, or never expires).
var migrations = []string{
	// 1: the initial schema.
	`CREATE TABLE grants (
		id         TEXT PRIMARY KEY,
		client_id  TEXT NOT NULL,
		subject    TEXT NOT NULL,
		scopes     TEXT NOT NULL,
		auth_time  INTEGER,
		session_id TEXT NOT NULL,
		amr        TEXT NOT NULL,
		created_at INTEGER,
		expires_at INTEGER,
		revoked_at INTEGER
	) STRICT, WITHOUT ROWID;
	-- RevokeGrants by client (client deleted) and by subject (user signed
	-- out everywhere); DeleteExpired by expiry.
	CREATE INDEX grants_client_id ON grants (client_id);
	CREATE INDEX grants_subject ON grants (subject);
	CREATE INDEX grants_expires_at ON grants (expires_at);

	-- Tokens are stored in chain order within their grant: the primary key
	-- is (grant_id, seq), seq being the token's position in the chain (0 for
	-- the first, its predecessor's + 1 after), assigned by the store and
	-- unique because a token is rotated at most once. So a rotation writes
	-- its successor next to the token it consumes, on the same page: one
	-- page written where a key by hash would write two at random, and pages
	-- written are the writer's main cost. The key also serves the foreign key
	-- and DeleteExpired, and since migration 11 every lookup: a token is
	-- found by its grant and hash.
	-- No ON DELETE CASCADE: DeleteExpired removes a grant's tokens itself, so
	-- it can count them, and a grant can never vanish under a live token.
	CREATE TABLE refresh_tokens (
		grant_id       TEXT NOT NULL REFERENCES grants (id),
		seq            INTEGER NOT NULL,
		hash           TEXT NOT NULL,
		generation     INTEGER NOT NULL,
		created_at     INTEGER,
		expires_at     INTEGER,
		consumed_at    INTEGER,
		successor_hash TEXT NOT NULL,
		PRIMARY KEY (grant_id, seq)
	) STRICT, WITHOUT ROWID;
	CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (hash);
	CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

	CREATE TABLE auth_codes (
		hash                  TEXT PRIMARY KEY,
		client_id             TEXT NOT NULL,
		redirect_uri          TEXT NOT NULL,
		code_challenge        TEXT NOT NULL,
		code_challenge_method TEXT NOT NULL,
		subject               TEXT NOT NULL,
		scopes                TEXT NOT NULL,
		nonce                 TEXT NOT NULL,
		session_id            TEXT NOT NULL,
		amr                   TEXT NOT NULL,
		auth_time             INTEGER,
		created_at            INTEGER,
		expires_at            INTEGER,
		consumed_at           INTEGER,
		grant_id              TEXT NOT NULL
	) STRICT, WITHOUT ROWID;
	CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

	CREATE TABLE used_jtis (
		client_id  TEXT NOT NULL,
		jti        TEXT NOT NULL,
		expires_at INTEGER,
		PRIMARY KEY (client_id, jti)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

	-- A rowid table: rowid breaks ties between keys created in the same
	-- microsecond, oldest first.
	CREATE TABLE signing_keys (
		id         TEXT PRIMARY KEY,
		algorithm  TEXT NOT NULL,
		sealed     BLOB,
		created_at INTEGER
	) STRICT;`,

	// 2: browser sign-in: parked authorization requests, sessions, consents.
	`-- revoke_on_logout revokes by session (sid), with or without client.
	CREATE INDEX grants_session_id ON grants (session_id);

	-- A rowid table: params (the request's JSON, a request object and all)
	-- can run to kilobytes, and WITHOUT ROWID suits small rows only.
	CREATE TABLE auth_requests (
		id          TEXT PRIMARY KEY,
		client_id   TEXT NOT NULL,
		params      BLOB,
		created_at  INTEGER,
		expires_at  INTEGER,
		consumed_at INTEGER
	) STRICT;
	CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

	CREATE TABLE sessions (
		id         TEXT PRIMARY KEY,
		sid        TEXT NOT NULL UNIQUE,
		subject    TEXT NOT NULL,
		auth_time  INTEGER,
		amr        TEXT NOT NULL,
		created_at INTEGER,
		expires_at INTEGER
	) STRICT, WITHOUT ROWID;
	CREATE INDEX sessions_expires_at ON sessions (expires_at);

	CREATE TABLE consents (
		subject    TEXT NOT NULL,
		client_id  TEXT NOT NULL,
		scopes     TEXT NOT NULL,
		created_at INTEGER,
		expires_at INTEGER,
		PRIMARY KEY (subject, client_id)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX consents_expires_at ON consents (expires_at);`,

	// 3: leases (TakeLease), so that one process at a time sweeps.
	`CREATE TABLE leases (
		name   TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		until  INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;`,

	// 4: high assurance. A grant's DPoP key binding (RFC 9449) and granted
	// resources (RFC 8707), the same on the code that leads to it, and the
	// key each refresh token's request proved, which tells a theft from a
	// retry. ADD COLUMN with a constant default rewrites no row.
	`ALTER TABLE grants ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
	ALTER TABLE grants ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
	ALTER TABLE auth_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
	ALTER TABLE auth_codes ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';
	ALTER TABLE refresh_tokens ADD COLUMN proof_key TEXT NOT NULL DEFAULT '';`,

	// 5: signing-key rotation. When a key may start signing, decided by the
	// node that created it; NULL (every key before this) means at creation.
	`ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER;`,

	// 6: users managed at runtime (store.UserStore). The username is the
	// key of every change; the subject is unique, and no row is ever
	// deleted, so a subject is never reused. claims is a JSON object.
	`CREATE TABLE users (
		username      TEXT PRIMARY KEY,
		subject       TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		claims        TEXT NOT NULL,
		disabled      INTEGER NOT NULL,
		created_at    INTEGER,
		updated_at    INTEGER
	) STRICT, WITHOUT ROWID;`,

	// 7: clients registered at run time (store.ClientStore). settings is
	// the JSON document of the client's settings, never its secret;
	// version counts writes, for optimistic updates.
	`CREATE TABLE clients (
		id          TEXT PRIMARY KEY,
		settings    TEXT NOT NULL,
		secret_hash TEXT NOT NULL,
		disabled    INTEGER NOT NULL,
		created_at  INTEGER,
		updated_at  INTEGER,
		version     INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;`,

	// 8: grant lineage. Where the request that issued each refresh token
	// came from: the node, the client's address and its User-Agent, for
	// the operator's grant listing (grantlist.go). The listings by client,
	// subject and session walk grants_client_id, grants_subject and
	// grants_session_id: on a WITHOUT ROWID table each index entry ends
	// with the primary key, so they are (column, id) already, the keyset
	// order, and need no new index.
	`ALTER TABLE refresh_tokens ADD COLUMN node TEXT NOT NULL DEFAULT '';
	ALTER TABLE refresh_tokens ADD COLUMN remote_addr TEXT NOT NULL DEFAULT '';
	ALTER TABLE refresh_tokens ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';`,

	// 9: the audit trail (store.AuditLog). Keyed by (time, random id), not
	// by a sequence; each filter of Events has an index that ends in the
	// time, so a filtered page newest first is one index range.
	`CREATE TABLE audit_events (
		at          INTEGER NOT NULL,
		id          TEXT NOT NULL,
		kind        TEXT NOT NULL,
		reason      TEXT NOT NULL,
		actor       TEXT NOT NULL,
		actor_id    TEXT NOT NULL,
		node        TEXT NOT NULL,
		client_id   TEXT NOT NULL,
		subject     TEXT NOT NULL,
		grant_id    TEXT NOT NULL,
		session_id  TEXT NOT NULL,
		remote_addr TEXT NOT NULL,
		user_agent  TEXT NOT NULL,
		request_id  TEXT NOT NULL,
		PRIMARY KEY (at, id)
	) STRICT, WITHOUT ROWID;
	CREATE INDEX audit_events_client ON audit_events (client_id, at);
	CREATE INDEX audit_events_subject ON audit_events (subject, at);
	CREATE INDEX audit_events_grant ON audit_events (grant_id, at);
	CREATE INDEX audit_events_kind ON audit_events (kind, at);`,

	// 10: a person's live browser sessions for the operator's console
	// (store.SessionLister): one range of (subject, created_at), newest
	// first. Sessions were read by id only until now.
	`CREATE INDEX sessions_subject ON sessions (subject, created_at);`,

	// 11: tokens are found by grant and hash, not by hash alone (the store
	// contract, store.Store.RefreshToken). refresh_tokens_hash put every
	// rotation's new hash and its deleted predecessor's at two random
	// places in an index over every token: two more pages written per
	// rotation, and at a million grants pages spread all over the file, so
	// the WAL and the checkpoints grew with the store (docs/performance.md).
	// A named token says its grant, and the primary key (grant_id, seq)
	// finds it among its grant's two rows. A token in the format before
	// named tokens says no grant: the hashes of every token stored now are
	// kept in legacy_refresh_hashes for those, once; tokens issued from here
	// on are all named and never go there. A row there outlives its token
	// harmlessly (the lookup joins the token by grant and hash), and the
	// table only shrinks: DeleteExpired removes a hash whose token is gone
	// (store.LegacyPrune).
	`CREATE TABLE legacy_refresh_hashes (
		hash     TEXT PRIMARY KEY,
		grant_id TEXT NOT NULL
	) STRICT, WITHOUT ROWID;
	INSERT INTO legacy_refresh_hashes (hash, grant_id) SELECT hash, grant_id FROM refresh_tokens;
	DROP INDEX refresh_tokens_hash;`,
}

// migrate brings the schema up to len(migrations). Each migration runs in its
// own BEGIN IMMEDIATE transaction that first re-checks whether it is applied,
// so two processes opening the same file at once apply it exactly once.
func migrate(ctx context.Context, w *sql.DB) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	var have int
	if err := w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if have > len(migrations) {
		// An older binary must not write to a schema it does not know.
		return fmt.Errorf("sqlite: migrate: database is at schema version %d, this build knows only %d", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if err := apply(ctx, w, v); err != nil {
			return fmt.Errorf("sqlite: migrate to version %d: %w", v, err)
		}
	}
	return nil
}

func apply(ctx context.Context, w *sql.DB, version int) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	var done bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, version).Scan(&done); err != nil {
		return err
	}
	if done {
		return nil
	}
	if _, err := tx.ExecContext(ctx, migrations[version-1]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}
