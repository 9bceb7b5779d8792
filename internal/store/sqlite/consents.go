package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ListConsents implements store.ConsentLister: one range of the primary
// key (subject, client_id).
func (db *DB) ListConsents(ctx context.Context, subject string) ([]store.Consent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = ? ORDER BY client_id LIMIT ?`,
		subject, store.MaxConsentList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list consents: %w", err)
	}
	defer rows.Close()
	var out []store.Consent
	for rows.Next() {
		var c store.Consent
		if err := rows.Scan(consentDest(&c)...); err != nil {
			return nil, fmt.Errorf("sqlite: list consents: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list consents: %w", err)
	}
	return out, nil
}

// DeleteConsent implements store.ConsentLister.
func (db *DB) DeleteConsent(ctx context.Context, subject, clientID string, ev store.Event) (bool, error) {
	var n int64
	err := db.write(ctx, "delete consent", func(tx *sql.Tx) error {
		var err error
		if n, err = affected(tx.ExecContext(ctx, `DELETE FROM consents WHERE subject = ? AND client_id = ?`, subject, clientID)); err != nil || n == 0 {
			return err
		}
		return recordTx(ctx, tx, ev, time.Now(), store.Grant{ClientID: clientID, Subject: subject})
	})
	return n > 0, err
}
