package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

const eventCols = `at, id, kind, reason, actor, actor_id, node, client_id, subject, grant_id, session_id,
	remote_addr, user_agent, request_id`

// eventArgs binds ?1..?14 in eventCols' order.
func eventArgs(ev store.Event) []any {
	return []any{ev.Time.UnixMicro(), ev.ID, ev.Kind, ev.Reason, ev.Actor, ev.ActorID, ev.Node, ev.ClientID,
		ev.Subject, ev.GrantID, ev.SessionID, ev.RemoteAddr, ev.UserAgent, ev.RequestID}
}

func eventDest(ev *store.Event) []any {
	return []any{timeCol{&ev.Time}, &ev.ID, &ev.Kind, &ev.Reason, &ev.Actor, &ev.ActorID, &ev.Node, &ev.ClientID,
		&ev.Subject, &ev.GrantID, &ev.SessionID, &ev.RemoteAddr, &ev.UserAgent, &ev.RequestID}
}

const insertEvent = `INSERT INTO audit_events (` + eventCols + `) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)`

// insertGrantEvent writes the event of a change to the grant ?15, in the
// change's transaction, taking the client, subject, grant and session from
// the grant's row where the event leaves them empty.
const insertGrantEvent = `INSERT INTO audit_events (` + eventCols + `)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(NULLIF(?8, ''), g.client_id), COALESCE(NULLIF(?9, ''), g.subject),
		COALESCE(NULLIF(?10, ''), g.id), COALESCE(NULLIF(?11, ''), g.session_id), ?12, ?13, ?14
	FROM grants g WHERE g.id = ?15`

// recordTx writes ev (if it is to be recorded) in tx.
func recordTx(ctx context.Context, tx *sql.Tx, ev store.Event, at time.Time, g store.Grant) error {
	if !ev.Recorded() {
		return nil
	}
	_, err := tx.ExecContext(ctx, insertEvent, eventArgs(ev.Prepared(at, g))...)
	return err
}

// recordGrantTx writes ev (if it is to be recorded) about grant id in tx.
func recordGrantTx(ctx context.Context, tx *sql.Tx, ev store.Event, at time.Time, id string) error {
	if !ev.Recorded() {
		return nil
	}
	_, err := tx.ExecContext(ctx, insertGrantEvent, append(eventArgs(ev.Prepared(at, store.Grant{})), id)...)
	return err
}

// bulkRevokeEvents is RevokeGrants' event statement for one batch, run in
// the batch's transaction before its UPDATE, on the rows the UPDATE will
// revoke (the one writer changes nothing between the two): one event per
// grant, its id the batch event's id and the grant's, its client, subject,
// grant and session from the grant's row. ?15 is the lead value, ?16 and
// ?17 the batch's id range; the rest of the filter follows from ?18.
func bulkRevokeEvents(lead string, rest []string) string {
	var and strings.Builder
	for i, c := range rest {
		fmt.Fprintf(&and, " AND g.%s = ?%d", c, 18+i)
	}
	return `INSERT INTO audit_events (` + eventCols + `)
		SELECT ?1, ?2 || '-' || g.id, ?3, ?4, ?5, ?6, ?7, g.client_id, g.subject, g.id, g.session_id, ?12, ?13, ?14
		FROM grants g WHERE g.` + lead + ` = ?15 AND g.id > ?16 AND g.id <= ?17 AND g.revoked_at IS NULL` + and.String()
}

// RecordEvent implements store.AuditLog.
func (db *DB) RecordEvent(ctx context.Context, ev store.Event) error {
	if !ev.Recorded() {
		return nil
	}
	_, err := db.exec(ctx, "record event", insertEvent, eventArgs(ev.Prepared(time.Now(), store.Grant{}))...)
	return err
}

// Events implements store.AuditLog: one range of the index that fits the
// filter, newest first, one row more than the page to know if another follows.
func (db *DB) Events(ctx context.Context, f store.EventFilter) ([]store.Event, string, error) {
	var where []string
	var args []any
	for _, c := range [...]struct{ col, v string }{{"client_id", f.ClientID}, {"subject", f.Subject},
		{"grant_id", f.GrantID}, {"kind", f.Kind}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.Until.UnixMicro())
	}
	if f.After != "" {
		us, id, err := store.ParseEventCursor(f.After)
		if err != nil {
			return nil, "", fmt.Errorf("sqlite: events: %w", err)
		}
		where, args = append(where, "(at < ? OR (at = ? AND id < ?))"), append(args, us, us, id)
	}
	q := `SELECT ` + eventCols + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.PageLimit()
	q += ` ORDER BY at DESC, id DESC LIMIT ` + strconv.Itoa(limit+1)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var ev store.Event
		if err := rows.Scan(eventDest(&ev)...); err != nil {
			return nil, "", fmt.Errorf("sqlite: events: %w", err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: events: %w", err)
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, store.EventCursor(out[limit-1]), nil
}

// DeleteEvents implements store.AuditLog: the oldest events first,
// store.EventBatch at a time, each batch its own short write transaction,
// so refreshes get the one writer between batches.
func (db *DB) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	q := `DELETE FROM audit_events WHERE (at, id) IN
		(SELECT at, id FROM audit_events WHERE at < ? ORDER BY at LIMIT ` + strconv.Itoa(store.EventBatch) + `)`
	total := 0
	for {
		n, err := db.exec(ctx, "delete events", q, before.UnixMicro())
		total += int(n)
		if err != nil || n < store.EventBatch {
			return total, err
		}
	}
}
