package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Browser sign-in: parked authorization requests, sessions and consents.
// These run once per sign-in, not per token, so they are plain unprepared
// statements: reads on the read pool; writes on the one writer connection,
// each in its own transaction (implicit, or BEGIN IMMEDIATE through
// db.write), taking turns with the rotator's batches like every other write.

// CreateAuthRequest implements store.Store.
func (db *DB) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	_, err := db.exec(ctx, "create auth request", `INSERT INTO auth_requests (`+requestCols+`)
		VALUES (?, ?, ?, ?, ?, ?)`, requestArgs(r)...)
	return err
}

// AuthRequest implements store.Store.
func (db *DB) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	var r store.AuthRequest
	err := db.r.QueryRowContext(ctx, `SELECT `+requestCols+` FROM auth_requests WHERE id = ?`, id).Scan(requestDest(&r)...)
	if err := found("auth request", err); err != nil {
		return store.AuthRequest{}, err
	}
	return r, nil
}

// ConsumeAuthRequest implements store.Store, as ConsumeAuthCode: the
// conditional UPDATE on the one writer picks the winner, and the SELECT in
// the same transaction returns the row as it now stands.
func (db *DB) ConsumeAuthRequest(ctx context.Context, id string, at time.Time) (store.AuthRequest, error) {
	if at.IsZero() {
		return store.AuthRequest{}, fmt.Errorf("sqlite: consume auth request: %w", errZeroTime)
	}
	var r store.AuthRequest
	err := db.consumeOnce(ctx, "consume auth request",
		`UPDATE auth_requests SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL`,
		[]any{micros(at), id}, `SELECT `+requestCols+` FROM auth_requests WHERE id = ?`, id, requestDest(&r))
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return store.AuthRequest{}, err
	}
	return r, err
}

// CreateSession implements store.Store. The primary key on id and the
// unique constraint on sid both map to ErrConflict.
func (db *DB) CreateSession(ctx context.Context, s store.Session, ev store.Event) error {
	const q = `INSERT INTO sessions (` + sessionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?)`
	if !ev.Recorded() {
		_, err := db.exec(ctx, "create session", q, sessionArgs(s)...)
		return err
	}
	return db.write(ctx, "create session", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, q, sessionArgs(s)...); err != nil {
			return unique(err)
		}
		return recordTx(ctx, tx, ev, s.CreatedAt, store.Grant{Subject: s.Subject, SessionID: s.SID})
	})
}

// Session implements store.Store.
func (db *DB) Session(ctx context.Context, id string) (store.Session, error) {
	var s store.Session
	err := db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id).Scan(sessionDest(&s)...)
	if err := found("session", err); err != nil {
		return store.Session{}, err
	}
	return s, nil
}

// DeleteSession implements store.Store.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.exec(ctx, "delete session", `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

// SaveConsent implements store.Store: one upsert that replaces every column.
func (db *DB) SaveConsent(ctx context.Context, c store.Consent) error {
	_, err := db.exec(ctx, "save consent", `INSERT INTO consents (`+consentCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (subject, client_id) DO UPDATE SET
			scopes = excluded.scopes, created_at = excluded.created_at, expires_at = excluded.expires_at`,
		consentArgs(c)...)
	return err
}

// Consent implements store.Store.
func (db *DB) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	var c store.Consent
	err := db.r.QueryRowContext(ctx, `SELECT `+consentCols+` FROM consents WHERE subject = ? AND client_id = ?`,
		subject, clientID).Scan(consentDest(&c)...)
	if err := found("consent", err); err != nil {
		return store.Consent{}, err
	}
	return c, nil
}

// found wraps the error of a single-row read: no row is ErrNotFound.
func found(op string, err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return nil
}
