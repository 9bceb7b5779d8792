package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ListConsents implements store.ConsentLister: one range of the primary
// key (subject, client_id), in byte order like every other listing.
func (db *DB) ListConsents(ctx context.Context, subject string) ([]store.Consent, error) {
	var out []store.Consent
	err := db.do(ctx, "list consents", func(ctx context.Context) error {
		out = out[:0]
		rows, err := db.pool.Query(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = $1
			ORDER BY client_id COLLATE "C" LIMIT $2`, subject, store.MaxConsentList)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c store.Consent
			if err := rows.Scan(consentDest(&c)...); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteConsent implements store.ConsentLister.
func (db *DB) DeleteConsent(ctx context.Context, subject, clientID string, ev store.Event) (bool, error) {
	var n int64
	err := db.tx(ctx, "delete consent", func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM consents WHERE subject = $1 AND client_id = $2`, subject, clientID)
		if n = tag.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return recordTx(ctx, tx, ev, time.Now(), store.Grant{ClientID: clientID, Subject: subject})
	})
	return n > 0, err
}
