package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// CreateGrant implements store.Store.
func (db *DB) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error {
	if first.GrantID != g.ID {
		return fmt.Errorf("sqlite: create grant: first token's grant %q is not %q", first.GrantID, g.ID)
	}
	return db.write(ctx, "create grant", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants `+grantInsertCols+`
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, grantArgs(g)...); err != nil {
			return unique(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens `+tokenInsertCols+`
			VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{g.ID}, tokenArgs(first)...)...); err != nil {
			return unique(err)
		}
		return recordTx(ctx, tx, ev, g.CreatedAt, g)
	})
}

// GrantChain implements store.Store. The newest generation comes from the
// chain's last row (the primary key is (grant_id, seq)), one index probe.
func (db *DB) GrantChain(ctx context.Context, id string) (store.Grant, int, error) {
	var g store.Grant
	var newest int
	err := db.findGrant.QueryRowContext(ctx, id).Scan(append(grantDest(&g), &newest)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Grant{}, 0, fmt.Errorf("sqlite: grant: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Grant{}, 0, fmt.Errorf("sqlite: grant: %w", err)
	}
	return g, newest, nil
}

// whyNot explains a conditional write to the token hash of grant grantID
// that matched no row: ErrNotFound if the grant holds no such token,
// ErrConflict if it is consumed or its grant revoked, nil if it is live.
// state is db.tokenState bound to the transaction.
func whyNot(ctx context.Context, state *sql.Stmt, grantID, hash string) error {
	var dead bool
	err := state.QueryRowContext(ctx, grantID, hash).Scan(&dead)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	case dead:
		return store.ErrConflict
	}
	return nil
}

// extendSQL moves a live token's idle expiry (reuse rotation).
const extendSQL = `UPDATE refresh_tokens SET expires_at = ?
	WHERE grant_id = ? AND hash = ? AND consumed_at IS NULL
	AND EXISTS (SELECT 1 FROM grants g WHERE g.id = refresh_tokens.grant_id AND g.revoked_at IS NULL)`

// ExtendRefreshToken implements store.Store.
func (db *DB) ExtendRefreshToken(ctx context.Context, grantID, hash string, expiresAt time.Time) error {
	return db.write(ctx, "extend", func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx, extendSQL, micros(expiresAt), grantID, hash))
		if err != nil || n == 1 {
			return err
		}
		if err := whyNot(ctx, tx.StmtContext(ctx, db.tokenState), grantID, hash); err != nil {
			return err
		}
		return errors.New("live token not updated") // unreachable: the UPDATE matches any live token
	})
}

// RevokeGrant implements store.Store. A grant revoked before keeps its
// first RevokedAt.
func (db *DB) RevokeGrant(ctx context.Context, id string, at time.Time, ev store.Event) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("sqlite: revoke grant: %w", errZeroTime)
	}
	var revoked bool
	err := db.write(ctx, "revoke grant", func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx,
			`UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(at), id))
		if err != nil || n == 1 {
			revoked = n == 1
			if err != nil {
				return err
			}
			return recordGrantTx(ctx, tx, ev, at, id)
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM grants WHERE id = ?)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}
		return nil
	})
	return revoked, err
}

// RevokeGrantOrTombstone implements store.Store in one transaction on the
// one writer: revoke the live row, or find it revoked, or insert the
// tombstone row; CreateGrant's INSERT of the same id then fails on the
// primary key (ErrConflict).
func (db *DB) RevokeGrantOrTombstone(ctx context.Context, tomb store.Grant, at time.Time, ev store.Event) (store.Revocation, error) {
	if at.IsZero() {
		return store.AlreadyRevoked, fmt.Errorf("sqlite: revoke grant or tombstone: %w", errZeroTime)
	}
	out := store.AlreadyRevoked
	err := db.write(ctx, "revoke grant or tombstone", func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx,
			`UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(at), tomb.ID))
		if err != nil {
			return err
		}
		if n == 1 {
			out = store.Revoked
			return recordGrantTx(ctx, tx, ev, at, tomb.ID)
		}
		tomb.RevokedAt = at
		n, err = affected(tx.ExecContext(ctx, `INSERT INTO grants `+grantInsertCols+`
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, grantArgs(tomb)...))
		if err != nil || n == 0 {
			return err
		}
		out = store.Tombstoned
		return recordGrantTx(ctx, tx, ev, at, tomb.ID)
	})
	if err != nil {
		return store.AlreadyRevoked, err
	}
	return out, nil
}

// revokeBatch bounds the grants one RevokeGrants transaction revokes.
const revokeBatch = 1000

// RevokeGrants implements store.Store. It walks the matching grants in
// primary-key order (keyset), revokeBatch at a time, each batch its own
// short write transaction: revoking a client with a million grants never
// holds the one writer for long, so refreshes go on between batches. The
// filter's most selective field leads the walk (store.GrantFilter.Columns);
// its index is (field, id), since SQLite keys every index of a WITHOUT
// ROWID table by the primary key too.
func (db *DB) RevokeGrants(ctx context.Context, f store.GrantFilter, at time.Time, ev store.Event) (int, error) {
	cols := f.Columns()
	if len(cols) == 0 {
		// GrantFilter: at least one field must be set. Never "revoke all".
		return 0, errors.New("sqlite: revoke grants: empty filter")
	}
	lead, leadVal := cols[0].Column, cols[0].Value
	var rest, restCols []string
	var restArgs []any
	for _, c := range cols[1:] {
		rest, restArgs = append(rest, " AND "+c.Column+" = ?"), append(restArgs, c.Value)
		restCols = append(restCols, c.Column)
	}
	var events string
	var evArgs []any
	if ev.Recorded() {
		events, evArgs = bulkRevokeEvents(lead, restCols), eventArgs(ev.Prepared(at, store.Grant{}))
	}
	if at.IsZero() {
		return 0, fmt.Errorf("sqlite: revoke grants: %w", errZeroTime)
	}
	pick := `SELECT COALESCE(MAX(id), ''), COUNT(*) FROM (SELECT id FROM grants WHERE ` + lead +
		` = ? AND id > ? ORDER BY id LIMIT ` + strconv.Itoa(revokeBatch) + `)`
	revoke := `UPDATE grants SET revoked_at = ? WHERE ` + lead + ` = ? AND id > ? AND id <= ? AND revoked_at IS NULL` +
		strings.Join(rest, "")
	total, after := 0, ""
	for {
		var seen int
		var n int64
		var last string
		err := db.write(ctx, "revoke grants", func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, pick, leadVal, after).Scan(&last, &seen); err != nil || seen == 0 {
				return err
			}
			if events != "" {
				args := append(append(evArgs[:14:14], leadVal, after, last), restArgs...)
				if _, err := tx.ExecContext(ctx, events, args...); err != nil {
					return err
				}
			}
			var err error
			n, err = affected(tx.ExecContext(ctx, revoke, append([]any{micros(at), leadVal, after, last}, restArgs...)...))
			return err
		})
		if err == nil {
			total, after = total+int(n), last
		}
		if err != nil || seen < revokeBatch {
			return total, err
		}
	}
}
