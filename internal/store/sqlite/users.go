package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Users managed at runtime (store.UserStore). Each change is one
// transaction on the writer, where its audit event belongs too.

const userCols = `username, subject, password_hash, claims, disabled, created_at, updated_at`

// userDest scans userCols into u.
func userDest(u *store.User, claims *string) []any {
	return []any{&u.Username, &u.Subject, &u.PasswordHash, claims, &u.Disabled,
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}}
}

// claimsText binds a user's claims: "{}" when none.
func claimsText(c json.RawMessage) string {
	if len(c) == 0 {
		return string(store.NoClaims)
	}
	return string(c)
}

// CreateUser implements store.UserStore. The primary key on username and
// the unique constraint on subject both map to ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u store.User, ev store.Event) error {
	return db.write(ctx, "create user", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			u.Username, u.Subject, u.PasswordHash, claimsText(u.Claims), u.Disabled, micros(u.CreatedAt), micros(u.UpdatedAt))
		if err != nil {
			return unique(err)
		}
		return recordTx(ctx, tx, ev, u.CreatedAt, store.Grant{Subject: u.Subject})
	})
}

// UserByUsername implements store.UserStore.
func (db *DB) UserByUsername(ctx context.Context, username string) (store.User, error) {
	return db.oneUser(ctx, "user by username", `SELECT `+userCols+` FROM users WHERE username = ?`, username)
}

// UserBySubject implements store.UserStore.
func (db *DB) UserBySubject(ctx context.Context, subject string) (store.User, error) {
	return db.oneUser(ctx, "user by subject", `SELECT `+userCols+` FROM users WHERE subject = ?`, subject)
}

func (db *DB) oneUser(ctx context.Context, op, query, key string) (store.User, error) {
	var u store.User
	var claims string
	if err := found(op, db.r.QueryRowContext(ctx, query, key).Scan(userDest(&u, &claims)...)); err != nil {
		return store.User{}, err
	}
	u.Claims = json.RawMessage(claims)
	return u, nil
}

// ListUsers implements store.UserStore.
func (db *DB) ListUsers(ctx context.Context, after string, limit int) ([]store.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE username > ? ORDER BY username LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	defer rows.Close()
	var us []store.User
	for rows.Next() {
		var u store.User
		var claims string
		if err := rows.Scan(userDest(&u, &claims)...); err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		u.Claims = json.RawMessage(claims)
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return us, nil
}

// UpdateUser implements store.UserStore: one UPDATE ... RETURNING, each
// unset field kept by COALESCE.
func (db *DB) UpdateUser(ctx context.Context, username string, up store.UserUpdate, at time.Time, ev store.Event) (store.User, error) {
	var u store.User
	var claims string
	var claimsArg any
	if up.Claims != nil {
		claimsArg = claimsText(up.Claims)
	}
	err := db.write(ctx, "update user", func(tx *sql.Tx) error {
		if err := noRows(tx.QueryRowContext(ctx, `UPDATE users SET
			disabled = COALESCE(?, disabled), password_hash = COALESCE(?, password_hash),
			claims = COALESCE(?, claims), updated_at = ?
			WHERE username = ? RETURNING `+userCols,
			up.Disabled, up.PasswordHash, claimsArg, micros(at), username).Scan(userDest(&u, &claims)...)); err != nil {
			return err
		}
		return recordTx(ctx, tx, ev, at, store.Grant{Subject: u.Subject})
	})
	if err != nil {
		return store.User{}, err
	}
	u.Claims = json.RawMessage(claims)
	return u, nil
}

// noRows maps sql.ErrNoRows to store.ErrNotFound inside a write, which
// names the operation itself.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
