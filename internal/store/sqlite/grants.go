package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

const (
	grantCols = `g.id, g.client_id, g.subject, g.scopes, g.auth_time, g.session_id, g.amr,
		g.created_at, g.expires_at, g.revoked_at`
	tokenCols = `t.hash, t.grant_id, t.generation, t.created_at, t.expires_at, t.consumed_at, t.successor_hash`
)

func grantDest(g *store.Grant) []any {
	return []any{&g.ID, &g.ClientID, &g.Subject, listCol{&g.Scopes}, timeCol{&g.AuthTime}, &g.SessionID,
		listCol{&g.AMR}, timeCol{&g.CreatedAt}, timeCol{&g.ExpiresAt}, timeCol{&g.RevokedAt}}
}

func tokenDest(t *store.RefreshToken) []any {
	return []any{&t.Hash, &t.GrantID, &t.Generation, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.ConsumedAt}, &t.SuccessorHash}
}

func tokenArgs(t store.RefreshToken) []any {
	return []any{t.Hash, t.GrantID, t.Generation, micros(t.CreatedAt), micros(t.ExpiresAt),
		micros(t.ConsumedAt), t.SuccessorHash}
}

// CreateGrant implements store.Store.
func (db *DB) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken) error {
	if first.GrantID != g.ID {
		return fmt.Errorf("sqlite: create grant: first token's grant %q is not %q", first.GrantID, g.ID)
	}
	return db.write(ctx, "create grant", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grants
			(id, client_id, subject, scopes, auth_time, session_id, amr, created_at, expires_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, g.ClientID, g.Subject, list(g.Scopes), micros(g.AuthTime), g.SessionID, list(g.AMR),
			micros(g.CreatedAt), micros(g.ExpiresAt), micros(g.RevokedAt)); err != nil {
			return unique(err)
		}
		_, err := tx.StmtContext(ctx, db.insertToken).ExecContext(ctx, tokenArgs(first)...)
		return unique(err)
	})
}

// Grant implements store.Store.
func (db *DB) Grant(ctx context.Context, id string) (store.Grant, error) {
	var g store.Grant
	err := db.findGrant.QueryRowContext(ctx, id).Scan(grantDest(&g)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Grant{}, fmt.Errorf("sqlite: grant: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Grant{}, fmt.Errorf("sqlite: grant: %w", err)
	}
	return g, nil
}

// RefreshToken implements store.Store.
func (db *DB) RefreshToken(ctx context.Context, hash string) (store.RefreshToken, store.Grant, error) {
	var t store.RefreshToken
	var g store.Grant
	err := db.findToken.QueryRowContext(ctx, hash).Scan(append(tokenDest(&t), grantDest(&g)...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.RefreshToken{}, store.Grant{}, fmt.Errorf("sqlite: refresh token: %w", err)
	}
	return t, g, nil
}

// whyNot explains a conditional token write that matched no row: ErrNotFound
// if the token does not exist, ErrConflict if it is consumed or its grant
// revoked, and otherwise returns the token's grant id for the caller to judge.
func (db *DB) whyNot(ctx context.Context, tx *sql.Tx, hash string) (string, error) {
	var grantID string
	var dead bool
	err := tx.StmtContext(ctx, db.tokenState).QueryRowContext(ctx, hash).Scan(&grantID, &dead)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", store.ErrNotFound
	case err != nil:
		return "", err
	case dead:
		return "", store.ErrConflict
	}
	return grantID, nil
}

// RotateRefreshToken implements store.Store: one transaction of a
// conditional UPDATE and an INSERT.
func (db *DB) RotateRefreshToken(ctx context.Context, oldHash string, consumedAt time.Time, next store.RefreshToken) error {
	if consumedAt.IsZero() {
		return fmt.Errorf("sqlite: rotate: consumedAt: %w", errZeroTime)
	}
	return db.write(ctx, "rotate", func(tx *sql.Tx) error {
		n, err := affected(tx.StmtContext(ctx, db.consume).ExecContext(ctx,
			micros(consumedAt), next.Hash, oldHash, next.GrantID))
		if err != nil {
			return err
		}
		if n == 0 {
			grantID, err := db.whyNot(ctx, tx, oldHash)
			if err != nil {
				return err
			}
			// Live and unconsumed, so only the grant clause failed.
			return fmt.Errorf("successor's grant %q is not %q", next.GrantID, grantID)
		}
		// A duplicate successor hash fails here, and the rollback undoes
		// the consume above.
		_, err = tx.StmtContext(ctx, db.insertToken).ExecContext(ctx, tokenArgs(next)...)
		return unique(err)
	})
}

// ExtendRefreshToken implements store.Store.
func (db *DB) ExtendRefreshToken(ctx context.Context, hash string, expiresAt time.Time) error {
	return db.write(ctx, "extend", func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx, `UPDATE refresh_tokens SET expires_at = ?
			WHERE hash = ? AND consumed_at IS NULL
			AND EXISTS (SELECT 1 FROM grants g WHERE g.id = refresh_tokens.grant_id AND g.revoked_at IS NULL)`,
			micros(expiresAt), hash))
		if err != nil || n == 1 {
			return err
		}
		if _, err := db.whyNot(ctx, tx, hash); err != nil {
			return err
		}
		return errors.New("token is live but was not updated") // unreachable: the UPDATE matches a live token
	})
}

// RevokeGrant implements store.Store.
func (db *DB) RevokeGrant(ctx context.Context, id string, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, fmt.Errorf("sqlite: revoke grant: %w", errZeroTime)
	}
	var revoked bool
	err := db.write(ctx, "revoke grant", func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx,
			`UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(at), id))
		if err != nil || n == 1 {
			revoked = n == 1
			return err
		}
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM grants WHERE id = ?)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}
		return nil // already revoked; the first time stays
	})
	return revoked, err
}

// RevokeGrants implements store.Store. The WHERE clause is chosen per filter
// rather than written as (? = '' OR client_id = ?), which would keep SQLite
// from using the client_id or subject index.
func (db *DB) RevokeGrants(ctx context.Context, f store.GrantFilter, at time.Time) (int, error) {
	if at.IsZero() {
		return 0, fmt.Errorf("sqlite: revoke grants: %w", errZeroTime)
	}
	var where string
	args := []any{micros(at)}
	switch {
	case f.ClientID != "" && f.Subject != "":
		where, args = `client_id = ? AND subject = ?`, append(args, f.ClientID, f.Subject)
	case f.ClientID != "":
		where, args = `client_id = ?`, append(args, f.ClientID)
	case f.Subject != "":
		where, args = `subject = ?`, append(args, f.Subject)
	default:
		// GrantFilter: at least one field must be set. Never "revoke all".
		return 0, errors.New("sqlite: revoke grants: empty filter")
	}
	var n int64
	err := db.write(ctx, "revoke grants", func(tx *sql.Tx) error {
		var err error
		n, err = affected(tx.ExecContext(ctx, `UPDATE grants SET revoked_at = ? WHERE revoked_at IS NULL AND `+where, args...))
		return err
	})
	return int(n), err
}
