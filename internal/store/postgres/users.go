package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Users managed at runtime (store.UserStore). Each change is one
// transaction, where its audit event belongs too.

const userCols = `username, subject, password_hash, claims, disabled, created_at, updated_at`

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
	return db.tx(ctx, "create user", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			u.Username, u.Subject, u.PasswordHash, claimsText(u.Claims), u.Disabled, ts(u.CreatedAt), ts(u.UpdatedAt))
		if err != nil {
			return err
		}
		return recordTx(ctx, tx, ev, u.CreatedAt, store.Grant{Subject: u.Subject})
	})
}

// UserByUsername implements store.UserStore.
func (db *DB) UserByUsername(ctx context.Context, username string) (store.User, error) {
	return db.oneUser(ctx, "user by username", `SELECT `+userCols+` FROM users WHERE username = $1`, username)
}

// UserBySubject implements store.UserStore.
func (db *DB) UserBySubject(ctx context.Context, subject string) (store.User, error) {
	return db.oneUser(ctx, "user by subject", `SELECT `+userCols+` FROM users WHERE subject = $1`, subject)
}

func (db *DB) oneUser(ctx context.Context, op, query, key string) (store.User, error) {
	var u store.User
	var claims string
	err := db.do(ctx, op, func(ctx context.Context) error {
		return found(db.pool.QueryRow(ctx, query, key).Scan(userDest(&u, &claims)...))
	})
	if err != nil {
		return store.User{}, err
	}
	u.Claims = json.RawMessage(claims)
	return u, nil
}

// ListUsers implements store.UserStore.
func (db *DB) ListUsers(ctx context.Context, after string, limit int) ([]store.User, error) {
	var us []store.User
	err := db.do(ctx, "list users", func(ctx context.Context) error {
		us = us[:0]
		rows, err := db.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE username COLLATE "C" > $1 ORDER BY username COLLATE "C" LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u store.User
			var claims string
			if err := rows.Scan(userDest(&u, &claims)...); err != nil {
				return err
			}
			u.Claims = json.RawMessage(claims)
			us = append(us, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return us, nil
}

// UpdateUser implements store.UserStore: one UPDATE ... RETURNING, each
// unset field kept by COALESCE.
func (db *DB) UpdateUser(ctx context.Context, username string, up store.UserUpdate, at time.Time, ev store.Event) (store.User, error) {
	var u store.User
	var claims string
	var claimsArg *string
	if up.Claims != nil {
		c := claimsText(up.Claims)
		claimsArg = &c
	}
	err := db.tx(ctx, "update user", func(ctx context.Context, tx pgx.Tx) error {
		if err := found(tx.QueryRow(ctx, `UPDATE users SET
			disabled = COALESCE($1, disabled), password_hash = COALESCE($2, password_hash),
			claims = COALESCE($3, claims), updated_at = $4
			WHERE username = $5 RETURNING `+userCols,
			up.Disabled, up.PasswordHash, claimsArg, ts(at), username).Scan(userDest(&u, &claims)...)); err != nil {
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
