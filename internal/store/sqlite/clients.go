package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

const clientCols = `id, settings, secret_hash, disabled, created_at, updated_at, version`

// CreateClient implements store.ClientStore. The event goes in the same
// transaction once the audit trail has a table.
func (db *DB) CreateClient(ctx context.Context, c store.ClientRecord, ev store.Event) error {
	return db.write(ctx, "create client", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (?, ?, ?, ?, ?, ?, 1)`,
			c.ID, string(c.Settings), c.SecretHash, c.Disabled, micros(c.CreatedAt), micros(c.UpdatedAt))
		if err != nil {
			return unique(err)
		}
		return recordTx(ctx, tx, ev, c.CreatedAt, store.Grant{ClientID: c.ID})
	})
}

// UpdateClient implements store.ClientStore: a conditional UPDATE on the
// version read; the single writer serialises concurrent ones, so the
// first moves the version and the others match nothing.
func (db *DB) UpdateClient(ctx context.Context, c store.ClientRecord, ev store.Event) error {
	return db.write(ctx, "update client", func(tx *sql.Tx) error {
		n, err := affected(tx.ExecContext(ctx, `UPDATE clients SET settings = ?, secret_hash = ?, disabled = ?, updated_at = ?,
			version = version + 1 WHERE id = ? AND version = ?`,
			string(c.Settings), c.SecretHash, c.Disabled, micros(c.UpdatedAt), c.ID, c.Version))
		if err != nil {
			return err
		}
		if n == 1 {
			return recordTx(ctx, tx, ev, c.UpdatedAt, store.Grant{ClientID: c.ID})
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, c.ID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		} else if err != nil {
			return err
		}
		return store.ErrConflict
	})
}

// StoredClient implements store.ClientStore.
func (db *DB) StoredClient(ctx context.Context, id string) (store.ClientRecord, error) {
	cs, err := db.clients(ctx, "client", `WHERE id = ?`, id)
	if err != nil {
		return store.ClientRecord{}, err
	}
	if len(cs) == 0 {
		return store.ClientRecord{}, fmt.Errorf("sqlite: client: %w", store.ErrNotFound)
	}
	return cs[0], nil
}

// ListClients implements store.ClientStore.
func (db *DB) ListClients(ctx context.Context, after string, limit int) ([]store.ClientRecord, error) {
	return db.clients(ctx, "list clients", `WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

// AllClients implements store.ClientStore.
func (db *DB) AllClients(ctx context.Context) ([]store.ClientRecord, error) {
	return db.clients(ctx, "all clients", `ORDER BY id`)
}

func (db *DB) clients(ctx context.Context, op, where string, args ...any) ([]store.ClientRecord, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+clientCols+` FROM clients `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	defer rows.Close()
	var out []store.ClientRecord
	for rows.Next() {
		var c store.ClientRecord
		var settings string
		if err := rows.Scan(&c.ID, &settings, &c.SecretHash, &c.Disabled, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.Version); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		c.Settings = []byte(settings)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return out, nil
}
