package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

const clientCols = `id, settings, secret_hash, disabled, created_at, updated_at, version`

// CreateClient implements store.ClientStore. A duplicate id is a
// unique_violation (ErrConflict). The event goes in the same transaction
// once the audit trail has a table.
func (db *DB) CreateClient(ctx context.Context, c store.ClientRecord, ev store.Event) error {
	return db.tx(ctx, "create client", func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES ($1, $2, $3, $4, $5, $6, 1)`,
			c.ID, string(c.Settings), c.SecretHash, c.Disabled, ts(c.CreatedAt), ts(c.UpdatedAt))
		if err != nil {
			return err
		}
		return recordTx(ctx, tx, ev, c.CreatedAt, store.Grant{ClientID: c.ID})
	})
}

// UpdateClient implements store.ClientStore: a conditional UPDATE on the
// version read. Of two concurrent ones, the second waits on the first's
// row lock and then (READ COMMITTED re-checks the WHERE on the new row
// version) no longer matches: exactly one wins.
func (db *DB) UpdateClient(ctx context.Context, c store.ClientRecord, ev store.Event) error {
	return db.tx(ctx, "update client", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE clients SET settings = $1, secret_hash = $2, disabled = $3, updated_at = $4,
			version = version + 1 WHERE id = $5 AND version = $6`,
			string(c.Settings), c.SecretHash, c.Disabled, ts(c.UpdatedAt), c.ID, c.Version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return recordTx(ctx, tx, ev, c.UpdatedAt, store.Grant{ClientID: c.ID})
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM clients WHERE id = $1`, c.ID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		} else if err != nil {
			return err
		}
		return store.ErrConflict
	})
}

// StoredClient implements store.ClientStore.
func (db *DB) StoredClient(ctx context.Context, id string) (store.ClientRecord, error) {
	var out []store.ClientRecord
	err := db.do(ctx, "client", func(ctx context.Context) error {
		var err error
		out, err = db.clients(ctx, `WHERE id = $1`, id)
		if err == nil && len(out) == 0 {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.ClientRecord{}, err
	}
	return out[0], nil
}

// ListClients implements store.ClientStore.
func (db *DB) ListClients(ctx context.Context, after string, limit int) ([]store.ClientRecord, error) {
	var out []store.ClientRecord
	err := db.do(ctx, "list clients", func(ctx context.Context) error {
		var err error
		out, err = db.clients(ctx, `WHERE id COLLATE "C" > $1 ORDER BY id COLLATE "C" LIMIT $2`, after, limit)
		return err
	})
	return out, err
}

// AllClients implements store.ClientStore.
func (db *DB) AllClients(ctx context.Context) ([]store.ClientRecord, error) {
	var out []store.ClientRecord
	err := db.do(ctx, "all clients", func(ctx context.Context) error {
		var err error
		out, err = db.clients(ctx, `ORDER BY id COLLATE "C"`)
		return err
	})
	return out, err
}

func (db *DB) clients(ctx context.Context, where string, args ...any) ([]store.ClientRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+clientCols+` FROM clients `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.ClientRecord
	for rows.Next() {
		var c store.ClientRecord
		var settings string
		if err := rows.Scan(&c.ID, &settings, &c.SecretHash, &c.Disabled, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.Version); err != nil {
			return nil, err
		}
		c.Settings = []byte(settings)
		out = append(out, c)
	}
	return out, rows.Err()
}
