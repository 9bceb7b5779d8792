package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// CreateAuthCode implements store.Store.
func (db *DB) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	_, err := db.exec(ctx, "create auth code", `INSERT INTO auth_codes (`+codeCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, codeArgs(c)...)
	return err
}

// AuthCode implements store.Store.
func (db *DB) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	var c store.AuthCode
	err := db.r.QueryRowContext(ctx, `SELECT `+codeCols+` FROM auth_codes WHERE hash = ?`, hash).Scan(codeDest(&c)...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuthCode{}, fmt.Errorf("sqlite: auth code: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.AuthCode{}, fmt.Errorf("sqlite: auth code: %w", err)
	}
	return c, nil
}

// ConsumeAuthCode implements store.Store. One conditional UPDATE both marks
// the code consumed and records grantID, so it decides who wins and no
// replay can see the code consumed without its grant. The SELECT in the same
// transaction returns the row as it now stands, which for a loser carries
// the winner's ConsumedAt and GrantID.
func (db *DB) ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error) {
	if at.IsZero() {
		return store.AuthCode{}, fmt.Errorf("sqlite: consume auth code: %w", errZeroTime)
	}
	var c store.AuthCode
	err := db.consumeOnce(ctx, "consume auth code",
		`UPDATE auth_codes SET consumed_at = ?, grant_id = ? WHERE hash = ? AND consumed_at IS NULL`,
		[]any{micros(at), grantID, hash}, `SELECT `+codeCols+` FROM auth_codes WHERE hash = ?`, hash, codeDest(&c))
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return store.AuthCode{}, err
	}
	return c, err
}

// consumeOnce is the single-use step shared by codes and parked requests:
// a conditional UPDATE on the one writer picks the winner, and a SELECT in
// the same transaction reads the row as it now stands, so a loser sees the
// winner's values. It returns nil, ErrConflict (the row was read) or
// ErrNotFound.
func (db *DB) consumeOnce(ctx context.Context, op, update string, args []any, query, key string, dest []any) error {
	return db.write(ctx, op, func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx, update, args...))
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, query, key).Scan(dest...)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		case n == 0:
			return store.ErrConflict
		}
		return nil
	})
}

// UseJTI implements store.Store in one statement: insert, or take over an
// entry that expired before now (the caller's clock); an unexpired one makes
// the upsert change nothing. A NULL (zero) expiry never expires.
func (db *DB) UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("sqlite: use jti: now: %w", errZeroTime)
	}
	n, err := db.exec(ctx, "use jti", `INSERT INTO used_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE used_jtis.expires_at < ?`,
		clientID, jti, micros(expiresAt), micros(now))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlite: use jti: %w", store.ErrConflict)
	}
	return nil
}

// SigningKeys implements store.Store.
func (db *DB) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, algorithm, sealed, created_at FROM signing_keys ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: signing keys: %w", err)
	}
	defer rows.Close()
	var keys []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, timeCol{&k.CreatedAt}); err != nil {
			return nil, fmt.Errorf("sqlite: signing keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: signing keys: %w", err)
	}
	return keys, nil
}

// AddSigningKey implements store.Store.
func (db *DB) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := db.exec(ctx, "add signing key", `INSERT INTO signing_keys (id, algorithm, sealed, created_at) VALUES (?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.Sealed, micros(k.CreatedAt))
	return err
}

// DeleteExpired implements store.Store. One transaction, so a rotation
// cannot slip a token into a grant between deleting its tokens and the
// grant itself. An expired grant takes all its tokens with it; a NULL
// expiry never matches "<".
func (db *DB) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	b := before.UnixMicro()
	var total int64
	err := db.write(ctx, "delete expired", func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM refresh_tokens WHERE grant_id IN (SELECT id FROM grants WHERE expires_at < ?)`,
			`DELETE FROM grants WHERE expires_at < ?`,
			`DELETE FROM refresh_tokens WHERE expires_at < ?`,
			`DELETE FROM auth_codes WHERE expires_at < ?`,
			`DELETE FROM used_jtis WHERE expires_at < ?`,
			`DELETE FROM auth_requests WHERE expires_at < ?1 OR consumed_at < ?1`,
			`DELETE FROM sessions WHERE expires_at < ?`,
			`DELETE FROM consents WHERE expires_at < ?`,
		} {
			n, err := affected(tx.ExecContext(ctx, q, b))
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(total), nil
}
