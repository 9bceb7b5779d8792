package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// UseJTI records a DPoP proof's or a client assertion's id. A client on
// the high-assurance profile sends both with every refresh, so on SQLite
// each would be a commit of its own, a dozen system calls, contending for
// the one writer with the rotations it precedes. Instead the rotator takes
// it into its batch (rotate.go): the id goes in with every rotation and
// other id queued meanwhile, in one commit, and no caller hears its answer
// before that commit.

// useJTISQL inserts an id, or takes over an entry that expired before now
// (the caller's clock); an unexpired one makes the upsert change nothing
// (store.Store: ErrConflict). A NULL (zero) expiry never expires.
const useJTISQL = `INSERT INTO used_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)
	ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
	WHERE used_jtis.expires_at < ?`

// jtiUse is one UseJTI call waiting for the rotator.
type jtiUse struct {
	ctx  context.Context
	args [4]any     // client_id, jti, expires_at, now: useJTISQL's
	done chan error // buffered: the rotator never waits on a caller
}

// UseJTI implements store.Store.
func (db *DB) UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("sqlite: use jti: now: %w", errZeroTime)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: use jti: %w", err)
	}
	u := &jtiUse{ctx: ctx, args: [4]any{clientID, jti, micros(expiresAt), micros(now)}, done: make(chan error, 1)}
	if err := store.HandOff(ctx, db.closing, db.jtis, u); err != nil {
		return fmt.Errorf("sqlite: use jti: %w", err)
	}
	// Once handed over, wait for the outcome, as a rotation does: the id
	// may be committed even if ctx ends meanwhile.
	return <-u.done
}

// useJTIs records every id of the batch inside its transaction tx; an id
// in use is that caller's ErrConflict and writes nothing. Any other error
// aborts the whole batch.
func useJTIs(ctx context.Context, st *sql.Stmt, uses []*jtiUse, errs []error) error {
	for i, u := range uses {
		if err := u.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		n, err := affected(st.ExecContext(ctx, u.args[:]...))
		if err != nil {
			return err
		}
		if n == 0 {
			errs[i] = store.ErrConflict
		}
	}
	return nil
}

// answerJTIs tells each caller its outcome once the batch's transaction
// ended: err when it failed as a whole.
func answerJTIs(uses []*jtiUse, errs []error, err error) {
	for i, u := range uses {
		switch {
		case err != nil:
			u.done <- err
		case errs[i] != nil:
			u.done <- fmt.Errorf("sqlite: use jti: %w", errs[i])
		default:
			u.done <- nil
		}
	}
}
