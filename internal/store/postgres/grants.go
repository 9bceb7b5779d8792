package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// CreateGrant implements store.Store in one statement: the grant, and its
// first token only if the grant went in. A duplicate grant id or token
// hash fails the whole statement (unique_violation: ErrConflict), so a
// tombstone (RevokeGrantOrTombstone) blocks the grant and its token alike.
func (db *DB) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error {
	if first.GrantID != g.ID {
		return fmt.Errorf("postgres: create grant: first token's grant %q is not %q", first.GrantID, g.ID)
	}
	args := append(grantArgs(g), first.Hash, first.Generation, ts(first.CreatedAt), ts(first.ExpiresAt),
		ts(first.ConsumedAt), first.SuccessorHash, first.ProofKey, first.Node, first.RemoteAddr, first.UserAgent)
	q := `WITH g AS (` + grantInsert + ` RETURNING id)
			INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, expires_at, expires_hour, consumed_at, successor_hash,
				proof_key, node, remote_addr, user_agent)
			SELECT $13, g.id, $14, $15, $16, ` + hourOf("$16::timestamptz") + `, $17, $18, $19, $20, $21, $22 FROM g`
	if ev.Recorded() {
		// The event goes in with the token, from the rows it wrote: the same
		// statement, so a conflict writes neither.
		// (A data-modifying WITH must be at the top level: one more CTE.)
		q = `WITH g AS (` + grantInsert + ` RETURNING id), t AS (
			INSERT INTO refresh_tokens (hash, grant_id, generation, created_at, expires_at, expires_hour, consumed_at, successor_hash,
				proof_key, node, remote_addr, user_agent)
			SELECT $13, g.id, $14, $15, $16, ` + hourOf("$16::timestamptz") + `, $17, $18, $19, $20, $21, $22 FROM g RETURNING 1)
			INSERT INTO audit_events (` + eventCols + `) SELECT ` + eventSelect(len(args)+1, "", false) + ` FROM t`
		args = append(args, eventArgs(ev.Prepared(g.CreatedAt, g))...)
	}
	return db.do(ctx, "create grant", func(ctx context.Context) error {
		_, err := db.pool.Exec(ctx, q, args...)
		return err
	})
}

// GrantChain implements store.Store. The newest generation is the newer
// of the grant's two rows: one probe of refresh_tokens' primary key.
func (db *DB) GrantChain(ctx context.Context, id string) (store.Grant, int, error) {
	var g store.Grant
	var newest int
	err := db.do(ctx, "grant", func(ctx context.Context) error {
		return found(db.pool.QueryRow(ctx, `SELECT `+grantCols+`,
			COALESCE((SELECT t.generation FROM refresh_tokens t WHERE t.grant_id = g.id
				ORDER BY t.generation DESC LIMIT 1), -1)
			FROM grants g WHERE g.id = $1`, id).Scan(append(grantDest(&g), &newest)...))
	})
	if err != nil {
		return store.Grant{}, 0, err
	}
	return g, newest, nil
}

// RevokeGrant implements store.Store in one statement. A grant revoked
// before keeps its first RevokedAt: the UPDATE's guard, re-checked on the
// newest row version under READ COMMITTED, lets only the first revocation
// write.
func (db *DB) RevokeGrant(ctx context.Context, id string, at time.Time, ev store.Event) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("postgres: revoke grant: %w", errZeroTime)
	}
	var revoked, exists bool
	q, args := `WITH u AS (
				UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING 1)
			SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM grants WHERE id = $1)`, []any{id, at}
	if ev.Recorded() {
		// The event is written from the row the UPDATE revoked, in its
		// statement: none when it revoked nothing.
		q, args = `WITH u AS (
				UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
				RETURNING id, client_id, subject, session_id),
			e AS (INSERT INTO audit_events (`+eventCols+`) SELECT `+eventSelect(3, "u", false)+` FROM u)
			SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM grants WHERE id = $1)`,
			append(args, eventArgs(ev.Prepared(at, store.Grant{}))...)
	}
	err := db.do(ctx, "revoke grant", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, q, args...).Scan(&revoked, &exists)
	})
	switch {
	case err != nil:
		return false, err
	case !revoked && !exists:
		return false, fmt.Errorf("postgres: revoke grant: %w", store.ErrNotFound)
	}
	return revoked, nil
}

// RevokeGrantOrTombstone implements store.Store in one transaction: revoke
// the live row; else insert the tombstone unless the id is taken; else the
// id was taken by a CreateGrant that committed while we looked, and under
// READ COMMITTED the INSERT waited for it, so a third statement (a fresh
// snapshot) sees it and revokes it. Under SERIALIZABLE that race is a
// serialization failure instead, and the retry sees the grant at once.
// CreateGrant after the tombstone fails on the primary key (ErrConflict).
func (db *DB) RevokeGrantOrTombstone(ctx context.Context, tomb store.Grant, at time.Time, ev store.Event) (store.Revocation, error) {
	if at.IsZero() {
		return store.AlreadyRevoked, fmt.Errorf("postgres: revoke grant or tombstone: %w", errZeroTime)
	}
	tomb.RevokedAt = at
	const revoke = `UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`
	var out store.Revocation
	ev = ev.Prepared(at, store.Grant{})
	// record writes the event from the grant's row (revoked or tombstone),
	// in the transaction, once something changed.
	record := func(ctx context.Context, tx pgx.Tx) error {
		if !ev.Recorded() {
			return nil
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_events (`+eventCols+`) SELECT `+eventSelect(2, "g", false)+
			` FROM grants g WHERE g.id = $1`, append([]any{tomb.ID}, eventArgs(ev)...)...)
		return err
	}
	err := db.tx(ctx, "revoke grant or tombstone", func(ctx context.Context, tx pgx.Tx) error {
		out = store.AlreadyRevoked
		tag, err := tx.Exec(ctx, revoke, tomb.ID, at)
		if err != nil || tag.RowsAffected() == 1 {
			out = store.Revoked
			if err != nil {
				return err
			}
			return record(ctx, tx)
		}
		tag, err = tx.Exec(ctx, grantInsert+` ON CONFLICT (id) DO NOTHING`, grantArgs(tomb)...)
		if err != nil || tag.RowsAffected() == 1 {
			out = store.Tombstoned
			if err != nil {
				return err
			}
			return record(ctx, tx)
		}
		tag, err = tx.Exec(ctx, revoke, tomb.ID, at)
		if err == nil && tag.RowsAffected() == 1 {
			out = store.Revoked
			return record(ctx, tx)
		}
		return err
	})
	if err != nil {
		return store.AlreadyRevoked, err
	}
	return out, nil
}

// revokeBatch bounds the grants one RevokeGrants statement revokes. It is
// written into the SQL as a literal, so the planner knows how few rows a
// batch is.
const revokeBatch = 1000

// RevokeGrants implements store.Store. It walks the matching grants in
// primary-key order (keyset, on the (field, id) indexes of migration 2),
// revokeBatch at a time, each batch one statement with its own statement
// timeout and retries: revoking a client that holds a million grants is a
// thousand short statements, none of which can outlive the timeout and
// roll the revocation back. The filter's most selective field leads the
// walk (store.GrantFilter.Columns).
// A grant revoked concurrently is skipped (the UPDATE re-checks
// revoked_at IS NULL on the row's newest version), not counted twice.
func (db *DB) RevokeGrants(ctx context.Context, f store.GrantFilter, at time.Time, ev store.Event) (int, error) {
	cols := f.Columns()
	if len(cols) == 0 {
		// GrantFilter: at least one field must be set. Never "revoke all".
		return 0, errors.New("postgres: revoke grants: empty filter")
	}
	lead := cols[0].Column
	args := []any{at, cols[0].Value, ""} // $1 at, $2 the lead value, $3 the last id seen
	var rest []string
	for _, c := range cols[1:] {
		args = append(args, c.Value)
		rest = append(rest, " AND g."+c.Column+" = $"+strconv.Itoa(len(args)))
	}
	if at.IsZero() {
		return 0, fmt.Errorf("postgres: revoke grants: %w", errZeroTime)
	}
	// With an event, each grant the batch revokes writes its own row, from
	// the UPDATE's RETURNING, in the batch's statement.
	returning, events := "1", ""
	if ev.Recorded() {
		returning = "g.id, g.client_id, g.subject, g.session_id"
		events = `, e AS (INSERT INTO audit_events (` + eventCols + `) SELECT ` +
			eventSelect(len(args)+1, "u", true) + ` FROM u)`
		ev.GrantID, ev.ClientID, ev.Subject, ev.SessionID = "", "", "", "" // each grant's own
		args = append(args, eventArgs(ev.Prepared(at, store.Grant{}))...)
	}
	q := `WITH b AS (
			SELECT id FROM grants WHERE ` + lead + ` = $2 AND id > $3 ORDER BY id LIMIT ` + strconv.Itoa(revokeBatch) + `
		), u AS (
			UPDATE grants g SET revoked_at = $1 FROM b
			WHERE g.id = b.id AND g.revoked_at IS NULL` + strings.Join(rest, "") + `
			RETURNING ` + returning + `
		)` + events + `
		SELECT COALESCE(max(b.id), ''), count(*), (SELECT count(*) FROM u) FROM b`
	total := 0
	for {
		var last string
		var seen, n int
		err := db.do(ctx, "revoke grants", func(ctx context.Context) error {
			return db.pool.QueryRow(ctx, q, args...).Scan(&last, &seen, &n)
		})
		if err != nil {
			return total, err
		}
		total += n
		if seen < revokeBatch {
			return total, nil
		}
		args[2] = last
	}
}

// found maps a single-row read's pgx.ErrNoRows to store.ErrNotFound.
func found(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
