package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Browser sign-in: parked authorization requests, sessions and consents.
// Each call is one statement in its own implicit transaction, except a
// lost ConsumeAuthRequest, which reads the winner's row after.

// CreateAuthRequest implements store.Store.
func (db *DB) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	return db.exec(ctx, "create auth request", `INSERT INTO auth_requests (`+requestCols+`)
		VALUES ($1, $2, $3, $4, $5, $6)`, requestArgs(r)...)
}

// AuthRequest implements store.Store.
func (db *DB) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	var r store.AuthRequest
	err := db.do(ctx, "auth request", func(ctx context.Context) error {
		return found(db.pool.QueryRow(ctx, `SELECT `+requestCols+` FROM auth_requests WHERE id = $1`, id).Scan(requestDest(&r)...))
	})
	if err != nil {
		return store.AuthRequest{}, err
	}
	return r, nil
}

// ConsumeAuthRequest implements store.Store, as ConsumeAuthCode.
func (db *DB) ConsumeAuthRequest(ctx context.Context, id string, at time.Time) (store.AuthRequest, error) {
	if at.IsZero() {
		return store.AuthRequest{}, fmt.Errorf("postgres: consume auth request: %w", errZeroTime)
	}
	var r store.AuthRequest
	err := db.consumeOnce(ctx, "consume auth request",
		`UPDATE auth_requests SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL RETURNING `+requestCols,
		[]any{at, id}, `SELECT `+requestCols+` FROM auth_requests WHERE id = $1`, id, requestDest(&r))
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return store.AuthRequest{}, err
	}
	return r, err
}

// CreateSession implements store.Store. The primary key on id and the
// unique constraint on sid both map to ErrConflict.
func (db *DB) CreateSession(ctx context.Context, s store.Session, ev store.Event) error {
	q, args := `INSERT INTO sessions (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`, sessionArgs(s)
	if ev.Recorded() {
		q, args = withEvent(q+` RETURNING 1`, args, ev.Prepared(s.CreatedAt, store.Grant{Subject: s.Subject, SessionID: s.SID}), "")
	}
	return db.exec(ctx, "create session", q, args...)
}

// Session implements store.Store.
func (db *DB) Session(ctx context.Context, id string) (store.Session, error) {
	var s store.Session
	err := db.do(ctx, "session", func(ctx context.Context) error {
		return found(db.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = $1`, id).Scan(sessionDest(&s)...))
	})
	if err != nil {
		return store.Session{}, err
	}
	return s, nil
}

// DeleteSession implements store.Store.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.exec(ctx, "delete session", `DELETE FROM sessions WHERE id = $1`, id)
}

// SaveConsent implements store.Store: one upsert that replaces every column.
func (db *DB) SaveConsent(ctx context.Context, c store.Consent) error {
	return db.exec(ctx, "save consent", `INSERT INTO consents (`+consentCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject, client_id) DO UPDATE SET
			scopes = excluded.scopes, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		consentArgs(c)...)
}

// Consent implements store.Store.
func (db *DB) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	var c store.Consent
	err := db.do(ctx, "consent", func(ctx context.Context) error {
		return found(db.pool.QueryRow(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = $1 AND client_id = $2`,
			subject, clientID).Scan(consentDest(&c)...))
	})
	if err != nil {
		return store.Consent{}, err
	}
	return c, nil
}
