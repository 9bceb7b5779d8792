package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Prefill and LiveTokens implement store.Prefiller, for the load tool
// (cmd/tollgate-bench), not the server.

// prefillPerTx is the rows of one transaction: two COPYs (grants, then
// their tokens, which the foreign key needs in that order).
const prefillPerTx = 50_000

// Prefill writes n grants, each with its first refresh token, as row(i)
// makes them, with COPY in transactions of 50,000 rows: what CreateGrant
// does n times, at a fraction of the round trips and commits. It runs
// without the statement timeout (a transaction of 50,000 rows can outlast
// it: into a store of millions, whose hash index no longer fits in memory,
// one took over 5 s), which it lifts for its own transactions with SET
// LOCAL as migrate does, and without retries; progress (may be nil) hears the count
// after each commit. The transactions committed before a failure stay.
func (db *DB) Prefill(ctx context.Context, n int, row store.PrefillRow, progress func(done int)) error {
	grants := make([][]any, 0, prefillPerTx)
	tokens := make([][]any, 0, prefillPerTx)
	for done := 0; done < n; {
		end := min(n, done+prefillPerTx)
		grants, tokens = grants[:0], tokens[:0]
		for i := done; i < end; i++ {
			g, t, err := row.Make(i)
			if err != nil {
				return fmt.Errorf("postgres: prefill: %w", err)
			}
			grants = append(grants, grantArgs(g))
			tokens = append(tokens, []any{t.Hash, g.ID, t.Generation, ts(t.CreatedAt), ts(t.ExpiresAt), expiresHour(t.ExpiresAt),
				ts(t.ConsumedAt), t.SuccessorHash, t.ProofKey, t.Node, t.RemoteAddr, t.UserAgent})
		}
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"grants"}, []string{"id", "client_id", "subject", "scopes",
				"auth_time", "session_id", "amr", "created_at", "expires_at", "revoked_at", "dpop_jkt", "resources"}, pgx.CopyFromRows(grants)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"refresh_tokens"}, []string{"hash", "grant_id", "generation",
				"created_at", "expires_at", "expires_hour", "consumed_at", "successor_hash", "proof_key", "node", "remote_addr", "user_agent"}, pgx.CopyFromRows(tokens))
			return err
		})
		if err != nil { // a duplicate key as ErrConflict, as CreateGrant gives it
			return db.fail(ctx, fmt.Sprintf("prefill rows %d to %d", done, end-1), err)
		}
		done = end
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// LiveTokens implements store.Prefiller.
func (db *DB) LiveTokens(ctx context.Context, ids []string) (map[string]int, error) {
	out := make(map[string]int, len(ids))
	err := db.do(ctx, "live tokens", func(ctx context.Context) error {
		clear(out)
		rows, err := db.pool.Query(ctx, `SELECT t.grant_id, count(*)
			FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id
			WHERE t.grant_id = ANY($1) AND t.consumed_at IS NULL AND g.revoked_at IS NULL
			GROUP BY t.grant_id`, ids)
		if err != nil {
			return err
		}
		var id string
		var k int
		_, err = pgx.ForEachRow(rows, []any{&id, &k}, func() error { out[id] = k; return nil })
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GrantBytes is the size on disk in bytes of the grants and refresh_tokens
// tables, their indexes and TOAST included (pg_total_relation_size).
func (db *DB) GrantBytes(ctx context.Context) (int64, error) {
	var n int64
	err := db.do(ctx, "size", func(ctx context.Context) error {
		return db.pool.QueryRow(ctx, `SELECT pg_total_relation_size('grants') + pg_total_relation_size('refresh_tokens')`).Scan(&n)
	})
	return n, err
}
