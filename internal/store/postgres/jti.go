package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// A jti use (a private_key_jwt client assertion's, RFC 7523 §3; a DPoP
// proof's, RFC 9449 §11.1) is a durable write on every token request of
// such a client, so jti uses are group-committed with the rotations
// (writer.go): the uses and rotations queued while the writer's last batch
// ran go as one transaction and one WAL flush.

// useJTISQL inserts a jti, or takes over an entry that expired before now
// ($4, the caller's clock); an unexpired one makes the upsert change
// nothing. ON CONFLICT DO UPDATE locks the existing row and judges its
// newest version, so of concurrent uses exactly one writes; of two uses
// in one batch the second sees the first. A NULL (zero) expiry never
// expires. It returns the rows written: 1, or 0 when the jti was used.
const useJTISQL = `WITH u AS (
		INSERT INTO used_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE used_jtis.expires_at < $4
		RETURNING 1)
	SELECT count(*) FROM u`

// jtiUse is one UseJTI call waiting for the writer.
type jtiUse struct {
	deadline       time.Time
	clientID, jti  string
	expiresAt, now time.Time
	done           chan error // buffered: a writer never waits on a caller
}

// UseJTI implements store.Store: the use is handed to the writer
// (writer.go) and committed in its batch.
func (db *DB) UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("postgres: use jti: now: %w", errZeroTime)
	}
	u := &jtiUse{deadline: db.deadline(ctx), clientID: clientID, jti: jti, expiresAt: expiresAt, now: now,
		done: make(chan error, 1)}
	return submit[write](ctx, db, "use jti", db.writes, u, u.done)
}

func (u *jtiUse) deadlineOf() time.Time { return u.deadline }

func (u *jtiUse) lockOrder() (int, string, string) { return lockJTI, u.clientID, u.jti }

func (u *jtiUse) statement() (string, []any) {
	return useJTISQL, []any{u.clientID, u.jti, ts(u.expiresAt), u.now}
}

func (u *jtiUse) committed(_ context.Context, _ *DB, n int) error {
	if n == 0 {
		return fmt.Errorf("postgres: use jti: %w", store.ErrConflict)
	}
	return nil
}

// alone is the use in a transaction of its own.
func (u *jtiUse) alone(ctx context.Context, db *DB) error {
	var n int
	err := db.do(ctx, "use jti", func(ctx context.Context) error {
		q, args := u.statement()
		return db.pool.QueryRow(ctx, q, args...).Scan(&n)
	})
	if err != nil {
		return err
	}
	return u.committed(ctx, db, n)
}

func (u *jtiUse) reply(err error) { u.done <- err }
