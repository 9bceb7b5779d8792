package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// listGrantsSQL is a page of grants with each one's newest token: the
// newer of the grant's two rows, one probe of refresh_tokens' primary key
// per grant. The WHERE clause is built from fixed column names only.
const listGrantsSQL = `SELECT ` + grantCols + `, COALESCE(t.generation, -1), t.created_at,
		COALESCE(t.node, ''), COALESCE(t.remote_addr, ''), COALESCE(t.user_agent, '')
	FROM grants g LEFT JOIN LATERAL (
		SELECT t.generation, t.created_at, t.node, t.remote_addr, t.user_agent FROM refresh_tokens t
		WHERE t.grant_id = g.id ORDER BY t.generation DESC LIMIT 1) t ON true
	WHERE `

// ListGrants implements store.GrantLister. A filter by client, subject or
// session walks that column's (column, id) index of migration 0002 from
// the cursor on (plan_test.go shows the index scan), so a page reads its
// own rows and no more.
func (db *DB) ListGrants(ctx context.Context, q store.GrantQuery) ([]store.GrantSummary, string, error) {
	after, err := q.AfterGrant()
	if err != nil {
		return nil, "", err
	}
	sql, args := listGrantsQuery(q, after)
	n := q.PageSize()
	var out []store.GrantSummary
	err = db.do(ctx, "list grants", func(ctx context.Context) error {
		out = out[:0]
		rows, err := db.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		var s store.GrantSummary
		_, err = pgx.ForEachRow(rows, append(grantDest(&s.Grant), &s.Generation, timeCol{&s.LastUsed},
			&s.Node, &s.RemoteAddr, &s.UserAgent), func() error {
			out = append(out, s)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if len(out) > n {
		out = out[:n]
		return out, store.GrantCursor(out[n-1].ID), nil
	}
	return out, "", nil
}

// listGrantsQuery is the statement of a listing and its arguments: each
// filter column, the live test, the keyset start, one row more than the
// page (to tell whether another follows).
func listGrantsQuery(q store.GrantQuery, after string) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, c := range q.Columns() {
		conds = append(conds, "g."+c.Column+" = "+arg(c.Value))
	}
	if q.Live {
		conds = append(conds, "g.revoked_at IS NULL AND g.expires_at > "+arg(q.Now))
	}
	conds = append(conds, "g.id > "+arg(after))
	return listGrantsSQL + strings.Join(conds, " AND ") + " ORDER BY g.id LIMIT " + strconv.Itoa(q.PageSize()+1), args
}

// GrantLineage implements store.GrantLister: the grant and its tokens in
// one statement, so both are of one snapshot.
func (db *DB) GrantLineage(ctx context.Context, id string) (store.Grant, []store.RefreshToken, error) {
	var g store.Grant
	var ts []store.RefreshToken
	err := db.do(ctx, "grant lineage", func(ctx context.Context) error {
		ts = ts[:0]
		rows, err := db.pool.Query(ctx, `SELECT `+grantCols+`, t.hash, t.generation, t.created_at, t.expires_at,
				t.consumed_at, t.successor_hash, t.proof_key, t.node, t.remote_addr, t.user_agent
			FROM grants g LEFT JOIN refresh_tokens t ON t.grant_id = g.id WHERE g.id = $1
			ORDER BY t.generation`, id)
		if err != nil {
			return err
		}
		var hash, succ, proof, node, remote, ua *string
		var gen *int
		var t store.RefreshToken
		seen := false
		_, err = pgx.ForEachRow(rows, append(grantDest(&g), &hash, &gen, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
			timeCol{&t.ConsumedAt}, &succ, &proof, &node, &remote, &ua), func() error {
			seen = true
			if hash == nil { // a grant without tokens (a tombstone)
				return nil
			}
			t.Hash, t.GrantID, t.Generation, t.SuccessorHash, t.ProofKey = *hash, id, *gen, *succ, *proof
			t.Node, t.RemoteAddr, t.UserAgent = *node, *remote, *ua
			ts = append(ts, t)
			return nil
		})
		if err == nil && !seen {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Grant{}, nil, err
	}
	return g, ts, nil
}
