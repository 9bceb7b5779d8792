package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// CreateAuthCode implements store.Store.
func (db *DB) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	_, err := db.exec(ctx, "create auth code", `INSERT INTO auth_codes (`+codeCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, codeArgs(c)...)
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

// SigningKeys implements store.Store.
func (db *DB) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, algorithm, sealed, created_at, activates_at FROM signing_keys ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: signing keys: %w", err)
	}
	defer rows.Close()
	var keys []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, timeCol{&k.CreatedAt}, timeCol{&k.ActivatesAt}); err != nil {
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
func (db *DB) AddSigningKey(ctx context.Context, k store.SigningKey, ev store.Event) error {
	const q = `INSERT INTO signing_keys (id, algorithm, sealed, created_at, activates_at) VALUES (?, ?, ?, ?, ?)`
	if !ev.Recorded() {
		_, err := db.exec(ctx, "add signing key", q, k.ID, k.Algorithm, k.Sealed, micros(k.CreatedAt), micros(k.ActivatesAt))
		return err
	}
	return db.write(ctx, "add signing key", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, q, k.ID, k.Algorithm, k.Sealed, micros(k.CreatedAt), micros(k.ActivatesAt)); err != nil {
			return unique(err)
		}
		return recordTx(ctx, tx, ev, k.CreatedAt, store.Grant{})
	})
}

// DeleteSigningKey implements store.Store.
func (db *DB) DeleteSigningKey(ctx context.Context, id string, ev store.Event) error {
	return db.write(ctx, "delete signing key", func(tx *sql.Tx) error {
		var gone string
		if err := tx.QueryRowContext(ctx, `DELETE FROM signing_keys WHERE id = ? RETURNING id`, id).Scan(&gone); err != nil {
			return noRows(err)
		}
		return recordTx(ctx, tx, ev, time.Now(), store.Grant{})
	})
}

// sweepBatch bounds the rows one DeleteExpired transaction removes from a
// table (for grants: the grants, plus their two tokens at most each).
const sweepBatch = 1000

var sweepLimit = strconv.Itoa(sweepBatch)

// sweeps are DeleteExpired's statements, each deleting at most sweepBatch
// rows chosen by primary key; ?1 is the cut-off. An expired grant goes with
// its tokens in the same transaction (both statements choose the same
// grants: the single writer changes nothing between them), so a rotation
// can never leave a token whose grant is gone. A NULL expiry never matches
// "<".
var sweeps = [][]string{
	{`DELETE FROM refresh_tokens WHERE grant_id IN
		(SELECT id FROM grants WHERE expires_at < ?1 ORDER BY expires_at, id LIMIT ` + sweepLimit + `)`,
		`DELETE FROM grants WHERE id IN
		(SELECT id FROM grants WHERE expires_at < ?1 ORDER BY expires_at, id LIMIT ` + sweepLimit + `)`},
	{`DELETE FROM refresh_tokens WHERE (grant_id, seq) IN
		(SELECT grant_id, seq FROM refresh_tokens WHERE expires_at < ?1 LIMIT ` + sweepLimit + `)`},
	{`DELETE FROM auth_codes WHERE hash IN (SELECT hash FROM auth_codes WHERE expires_at < ?1 LIMIT ` + sweepLimit + `)`},
	{`DELETE FROM used_jtis WHERE (client_id, jti) IN
		(SELECT client_id, jti FROM used_jtis WHERE expires_at < ?1 LIMIT ` + sweepLimit + `)`},
	{`DELETE FROM auth_requests WHERE id IN
		(SELECT id FROM auth_requests WHERE expires_at < ?1 OR consumed_at < ?1 LIMIT ` + sweepLimit + `)`},
	{`DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < ?1 LIMIT ` + sweepLimit + `)`},
	{`DELETE FROM consents WHERE (subject, client_id) IN
		(SELECT subject, client_id FROM consents WHERE expires_at < ?1 LIMIT ` + sweepLimit + `)`},
}

// DeleteExpired implements store.Store: batch after batch, each its own
// short write transaction, until a batch comes back short. Refreshes are
// group-committed on the same writer (rotate.go), so they get it between
// batches: a sweep of a million expired rows never holds the writer for
// more than one batch.
func (db *DB) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	b := before.UnixMicro()
	var total int64
	for _, batch := range sweeps {
		for {
			var n, last int64
			err := db.write(ctx, "delete expired", func(tx *sql.Tx) error {
				for _, q := range batch {
					var err error
					if last, err = affected(tx.ExecContext(ctx, q, b)); err != nil {
						return err
					}
					n += last
				}
				return nil
			})
			if err != nil {
				return int(total), err
			}
			total += n
			if last < sweepBatch { // the batch's last statement chose fewer rows than it may
				break
			}
		}
	}
	n, err := db.legacy.Run(ctx, db.pruneLegacy)
	return int(total) + n, err
}

// legacyBatchSQL is the next store.LegacyBatch hashes of
// legacy_refresh_hashes after ?1, in hash order (the primary key).
var legacyBatchSQL = `SELECT hash FROM legacy_refresh_hashes WHERE hash > ?1 ORDER BY hash LIMIT ` + strconv.Itoa(store.LegacyBatch)

// pruneLegacy is a store.LegacyStep: in one write transaction, how many
// hashes the batch holds and its last, and the delete of those whose token
// is gone. A legacy token's row goes when its grant rotates twice or the
// janitor sweeps it, and is never written again under that hash.
func (db *DB) pruneLegacy(ctx context.Context, after string) (read int, last string, deleted int, err error) {
	err = db.write(ctx, "delete expired: legacy hashes", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*), COALESCE(max(hash), '') FROM (`+legacyBatchSQL+`)`,
			after).Scan(&read, &last); err != nil {
			return err
		}
		n, err := affected(tx.ExecContext(ctx, `DELETE FROM legacy_refresh_hashes WHERE hash IN (`+legacyBatchSQL+`)
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens t
				WHERE t.grant_id = legacy_refresh_hashes.grant_id AND t.hash = legacy_refresh_hashes.hash)`, after))
		deleted = int(n)
		return err
	})
	return read, last, deleted, err
}
