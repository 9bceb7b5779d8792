package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// CreateAuthCode implements store.Store.
func (db *DB) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	return db.exec(ctx, "create auth code", `INSERT INTO auth_codes (`+codeCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, codeArgs(c)...)
}

// AuthCode implements store.Store.
func (db *DB) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	var c store.AuthCode
	err := db.do(ctx, "auth code", func(ctx context.Context) error {
		return found(db.pool.QueryRow(ctx, `SELECT `+codeCols+` FROM auth_codes WHERE hash = $1`, hash).Scan(codeDest(&c)...))
	})
	if err != nil {
		return store.AuthCode{}, err
	}
	return c, nil
}

// ConsumeAuthCode implements store.Store. One conditional UPDATE both marks
// the code consumed and records grantID, so it decides who wins and no
// replay can see the code consumed without its grant.
func (db *DB) ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error) {
	if at.IsZero() {
		return store.AuthCode{}, fmt.Errorf("postgres: consume auth code: %w", errZeroTime)
	}
	var c store.AuthCode
	err := db.consumeOnce(ctx, "consume auth code",
		`UPDATE auth_codes SET consumed_at = $1, grant_id = $2 WHERE hash = $3 AND consumed_at IS NULL
		RETURNING `+codeCols, []any{at, grantID, hash},
		`SELECT `+codeCols+` FROM auth_codes WHERE hash = $1`, hash, codeDest(&c))
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return store.AuthCode{}, err
	}
	return c, err
}

// consumeOnce is the single-use step shared by codes and parked requests:
// a conditional UPDATE ... RETURNING picks the winner and returns its row.
// When it matches nothing, a second statement reads the row as it now
// stands: under READ COMMITTED the UPDATE waited for a concurrent winner
// holding the row and the read's fresh snapshot sees that winner's values
// (under SERIALIZABLE the loser's UPDATE fails with 40001 and do retries
// it). It returns nil, ErrConflict (the row was read) or ErrNotFound.
func (db *DB) consumeOnce(ctx context.Context, op, update string, args []any, query, key string, dest []any) error {
	return db.do(ctx, op, func(ctx context.Context) error {
		err := db.pool.QueryRow(ctx, update, args...).Scan(dest...)
		if err := found(err); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := found(db.pool.QueryRow(ctx, query, key).Scan(dest...)); err != nil {
			return err
		}
		return store.ErrConflict
	})
}

// SigningKeys implements store.Store. added_at (the server's clock at
// insert) breaks ties between keys created in the same microsecond.
func (db *DB) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var keys []store.SigningKey
	err := db.do(ctx, "signing keys", func(ctx context.Context) error {
		keys = nil
		rows, err := db.pool.Query(ctx, `SELECT id, algorithm, sealed, created_at, activates_at FROM signing_keys
			ORDER BY created_at, added_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k store.SigningKey
			if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, timeCol{&k.CreatedAt}, timeCol{&k.ActivatesAt}); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// AddSigningKey implements store.Store.
func (db *DB) AddSigningKey(ctx context.Context, k store.SigningKey, ev store.Event) error {
	q, args := `INSERT INTO signing_keys (id, algorithm, sealed, created_at, activates_at)
		VALUES ($1, $2, $3, $4, $5)`, []any{k.ID, k.Algorithm, blob(k.Sealed), ts(k.CreatedAt), ts(k.ActivatesAt)}
	if ev.Recorded() {
		q, args = withEvent(q+` RETURNING 1`, args, ev.Prepared(k.CreatedAt, store.Grant{}), "")
	}
	return db.exec(ctx, "add signing key", q, args...)
}

// DeleteSigningKey implements store.Store: the delete and its event in one
// statement (no row deleted, no event).
func (db *DB) DeleteSigningKey(ctx context.Context, id string, ev store.Event) error {
	q, args := `DELETE FROM signing_keys WHERE id = $1 RETURNING id`, []any{id}
	if ev.Recorded() {
		q, args = withEvent(q, args, ev.Prepared(time.Now(), store.Grant{}), "")
	}
	return db.do(ctx, "delete signing key", func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, q, args...)
		if err == nil && tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return err
	})
}

// exec runs one statement in its own (implicit) transaction under do.
func (db *DB) exec(ctx context.Context, op, query string, args ...any) error {
	return db.do(ctx, op, func(ctx context.Context) error {
		_, err := db.pool.Exec(ctx, query, args...)
		return err
	})
}
