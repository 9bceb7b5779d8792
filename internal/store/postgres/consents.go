package postgres

import (
	"context"

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
func (db *DB) DeleteConsent(ctx context.Context, subject, clientID string) (bool, error) {
	var n int64
	err := db.do(ctx, "delete consent", func(ctx context.Context) error {
		tag, err := db.pool.Exec(ctx, `DELETE FROM consents WHERE subject = $1 AND client_id = $2`, subject, clientID)
		n = tag.RowsAffected()
		return err
	})
	return n > 0, err
}
