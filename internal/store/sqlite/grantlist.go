package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// listGrantsSQL is a page of grants with each one's newest token (the last
// of its chain by the primary key (grant_id, seq): one probe per grant).
// The WHERE clause is built from fixed column names only (grantWhere).
const listGrantsSQL = `SELECT ` + grantCols + `, COALESCE(t.generation, -1), t.created_at,
		COALESCE(t.node, ''), COALESCE(t.remote_addr, ''), COALESCE(t.user_agent, '')
	FROM grants g LEFT JOIN refresh_tokens t ON t.grant_id = g.id
		AND t.seq = (SELECT MAX(m.seq) FROM refresh_tokens m WHERE m.grant_id = g.id)
	WHERE `

// ListGrants implements store.GrantLister. A filter by client, subject or
// session walks that column's index (client_id, then id: schema.go, 6)
// from the cursor on, so a page reads its own rows and no more.
func (db *DB) ListGrants(ctx context.Context, q store.GrantQuery) ([]store.GrantSummary, string, error) {
	after, err := q.AfterGrant()
	if err != nil {
		return nil, "", err
	}
	where, args := grantWhere(q, after, "?")
	n := q.PageSize()
	rows, err := db.r.QueryContext(ctx, listGrantsSQL+where+` ORDER BY g.id LIMIT `+fmt.Sprint(n+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list grants: %w", err)
	}
	defer rows.Close()
	var out []store.GrantSummary
	for rows.Next() {
		var s store.GrantSummary
		if err := rows.Scan(append(grantDest(&s.Grant), &s.Generation, timeCol{&s.LastUsed}, &s.Node, &s.RemoteAddr, &s.UserAgent)...); err != nil {
			return nil, "", fmt.Errorf("sqlite: list grants: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: list grants: %w", err)
	}
	if len(out) > n {
		out = out[:n]
		return out, store.GrantCursor(out[n-1].ID), nil
	}
	return out, "", nil
}

// grantWhere is the condition of a listing: each filter column, the live
// test, and the keyset start, with mark as the placeholder.
func grantWhere(q store.GrantQuery, after, mark string) (string, []any) {
	var conds []string
	var args []any
	for _, c := range q.Columns() {
		conds = append(conds, "g."+c.Column+" = "+mark)
		args = append(args, c.Value)
	}
	if q.Live {
		conds = append(conds, "g.revoked_at IS NULL AND g.expires_at > "+mark)
		args = append(args, micros(q.Now))
	}
	conds = append(conds, "g.id > "+mark)
	args = append(args, after)
	return strings.Join(conds, " AND "), args
}

// GrantLineage implements store.GrantLister, in one read transaction so
// the grant and its tokens are of one moment.
func (db *DB) GrantLineage(ctx context.Context, id string) (store.Grant, []store.RefreshToken, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Grant{}, nil, fmt.Errorf("sqlite: grant lineage: %w", err)
	}
	defer tx.Rollback()
	var g store.Grant
	err = tx.QueryRowContext(ctx, `SELECT `+grantCols+` FROM grants g WHERE g.id = ?`, id).Scan(grantDest(&g)...)
	if err := found("grant lineage", err); err != nil {
		return store.Grant{}, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.hash, `+tokenCols+`, t.node, t.remote_addr, t.user_agent
		FROM refresh_tokens t WHERE t.grant_id = ? ORDER BY t.seq`, id)
	if err != nil {
		return store.Grant{}, nil, fmt.Errorf("sqlite: grant lineage: %w", err)
	}
	defer rows.Close()
	var ts []store.RefreshToken
	for rows.Next() {
		t := store.RefreshToken{GrantID: id}
		if err := rows.Scan(append(append([]any{&t.Hash}, tokenDest(&t)...), &t.Node, &t.RemoteAddr, &t.UserAgent)...); err != nil {
			return store.Grant{}, nil, fmt.Errorf("sqlite: grant lineage: %w", err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return store.Grant{}, nil, fmt.Errorf("sqlite: grant lineage: %w", err)
	}
	return g, ts, nil
}
