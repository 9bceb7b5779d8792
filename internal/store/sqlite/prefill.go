package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Prefill and LiveTokens implement store.Prefiller, for the load tool
// (cmd/tollgate-bench), not the server.

const (
	prefillPerStmt = 100     // rows per multi-row INSERT (1,200 variables for grants)
	prefillPerTx   = 100_000 // rows per transaction, at least
	prefillTxs     = 10      // transactions per prefill, at most (bigger ones past 1M rows)
)

// Prefill writes n grants, each with its first refresh token, as row(i)
// makes them, in transactions of 100,000 rows of 100-row INSERTs on the one
// writer connection: what CreateGrant does n times, at a fraction of the
// commits. (On 200,000 grants, 100,000 rows per transaction wrote 21,000
// grants/s where 10,000 wrote 12,000, load 3 on 2 cores: random keys make
// each transaction rewrite pages a smaller one wrote already.) One
// transaction holds the writer for seconds: prefill before a load, not
// during one. progress (may be nil) hears the count after each commit. A
// duplicate id or hash fails the transaction it is in (ErrConflict); the
// transactions committed before stay.
func (db *DB) Prefill(ctx context.Context, n int, row store.PrefillRow, progress func(done int)) error {
	gStmt, err := db.w.PrepareContext(ctx, multiRow(`INSERT INTO grants `+grantInsertCols+` VALUES `, 12, prefillPerStmt))
	if err != nil {
		return fmt.Errorf("sqlite: prefill: %w", err)
	}
	defer gStmt.Close()
	tStmt, err := db.w.PrepareContext(ctx, multiRow(`INSERT INTO refresh_tokens `+tokenInsertCols+` VALUES `, tokenInsertN, prefillPerStmt))
	if err != nil {
		return fmt.Errorf("sqlite: prefill: %w", err)
	}
	defer tStmt.Close()
	// Random keys scatter a batch over the whole b-tree: a large page
	// cache on the writer while it lasts, and each transaction's rows in
	// key order, keep pages from being read and written more than once.
	if _, err := db.w.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil { // 256 MiB
		return fmt.Errorf("sqlite: prefill: %w", err)
	}
	defer db.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`) // SQLite's default
	type pair struct {
		g store.Grant
		t store.RefreshToken
	}
	// Each transaction's random keys, sorted, touch nearly every leaf of a
	// large b-tree once; so the fewer transactions, the fewer times each
	// page is rewritten. A 10M prefill in 100,000-row transactions slowed
	// from 17,500 to 1,400 grants/s by 6.5M rows, its WAL at 2.3 GB.
	perTx := max(prefillPerTx, (n+prefillTxs-1)/prefillTxs)
	batch := make([]pair, 0, min(n, perTx))
	gArgs := make([]any, 0, 12*prefillPerStmt)
	tArgs := make([]any, 0, tokenInsertN*prefillPerStmt)
	for done := 0; done < n; {
		end := min(n, done+perTx)
		batch = batch[:0]
		for i := done; i < end; i++ {
			g, t, err := row.Make(i)
			if err != nil {
				return fmt.Errorf("sqlite: prefill: %w", err)
			}
			batch = append(batch, pair{g, t})
		}
		slices.SortFunc(batch, func(a, b pair) int { return strings.Compare(a.g.ID, b.g.ID) })
		err := db.write(ctx, "prefill", func(tx *sql.Tx) error {
			for i := 0; i < len(batch); {
				gArgs, tArgs = gArgs[:0], tArgs[:0]
				k := min(prefillPerStmt, len(batch)-i)
				for _, p := range batch[i : i+k] {
					g, t := p.g, p.t
					gArgs = append(gArgs, grantArgs(g)...)
					tArgs = append(tArgs, g.ID, 0)
					tArgs = append(tArgs, tokenArgs(t)...)
				}
				gs, ts := tx.StmtContext(ctx, gStmt), tx.StmtContext(ctx, tStmt)
				if k < prefillPerStmt { // the last, short statement
					var err error
					if gs, err = tx.PrepareContext(ctx, multiRow(`INSERT INTO grants `+grantInsertCols+` VALUES `, 12, k)); err != nil {
						return err
					}
					if ts, err = tx.PrepareContext(ctx, multiRow(`INSERT INTO refresh_tokens `+tokenInsertCols+` VALUES `, tokenInsertN, k)); err != nil {
						return err
					}
				}
				if _, err := gs.ExecContext(ctx, gArgs...); err != nil {
					return unique(err)
				}
				if _, err := ts.ExecContext(ctx, tArgs...); err != nil {
					return unique(err)
				}
				i += k
			}
			return nil
		})
		if err != nil {
			return err
		}
		done = end
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// multiRow is head followed by rows groups of cols placeholders.
func multiRow(head string, cols, rows int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	var b strings.Builder
	b.Grow(len(head) + rows*(len(group)+1))
	b.WriteString(head)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}

// LiveTokens implements store.Prefiller.
func (db *DB) LiveTokens(ctx context.Context, ids []string) (map[string]int, error) {
	out := make(map[string]int, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(len(ids), start+500)]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := db.r.QueryContext(ctx, `SELECT t.grant_id, count(*)
			FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id
			WHERE t.grant_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+`)
			AND t.consumed_at IS NULL AND g.revoked_at IS NULL GROUP BY t.grant_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: live tokens: %w", err)
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite: live tokens: %w", err)
			}
			out[id] = n
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite: live tokens: %w", err)
		}
		rows.Close()
	}
	return out, nil
}
