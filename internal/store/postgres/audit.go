package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

const eventCols = `at, id, kind, reason, actor, actor_id, node, client_id, subject, grant_id, session_id,
	remote_addr, user_agent, request_id`

// eventArgs binds an event in eventCols' order (14 values).
func eventArgs(ev store.Event) []any {
	return []any{ev.Time, ev.ID, ev.Kind, ev.Reason, ev.Actor, ev.ActorID, ev.Node, ev.ClientID,
		ev.Subject, ev.GrantID, ev.SessionID, ev.RemoteAddr, ev.UserAgent, ev.RequestID}
}

func eventDest(ev *store.Event) []any {
	return []any{timeCol{&ev.Time}, &ev.ID, &ev.Kind, &ev.Reason, &ev.Actor, &ev.ActorID, &ev.Node, &ev.ClientID,
		&ev.Subject, &ev.GrantID, &ev.SessionID, &ev.RemoteAddr, &ev.UserAgent, &ev.RequestID}
}

// eventSelect is the select list that writes an event bound from $n on,
// the client, subject, grant and session taken from the row alias g where
// the event leaves them empty (g "": none). perGrant (a bulk revocation,
// whose event leaves them all empty) makes the id the batch event's and
// the grant's.
func eventSelect(n int, g string, perGrant bool) string {
	// Every parameter typed: a bulk revocation leaves some unused, and
	// PostgreSQL must know the type of each.
	p := func(i int) string { return "$" + strconv.Itoa(n+i) + "::text" }
	id, fill := p(1), func(i int, col string) string { return p(i) }
	if g != "" {
		fill = func(i int, col string) string { return "COALESCE(NULLIF(" + p(i) + ", ''), " + g + "." + col + ")" }
	}
	if perGrant {
		id = p(1) + " || '-' || " + g + ".id"
	}
	return strings.Join([]string{"$" + strconv.Itoa(n) + "::timestamptz", id, p(2), p(3), p(4), p(5), p(6),
		fill(7, "client_id"), fill(8, "subject"), fill(9, "id"), fill(10, "session_id"), p(11), p(12), p(13)}, ", ")
}

// withEvent turns a single-statement write into one that also writes ev
// from the rows it returns, in the same statement (so the same
// transaction): `WITH c AS (write RETURNING ...) INSERT INTO audit_events
// SELECT ... FROM c`. No row written, no event. args are the write's; the
// event's are appended.
func withEvent(write string, args []any, ev store.Event, g string) (string, []any) {
	return `WITH c AS (` + write + `) INSERT INTO audit_events (` + eventCols + `) SELECT ` +
		eventSelect(len(args)+1, g, false) + ` FROM c`, append(args, eventArgs(ev)...)
}

// recordTx writes ev (if it is to be recorded) in tx, prepared with at and
// g: the event of a change made in the same transaction.
func recordTx(ctx context.Context, tx pgx.Tx, ev store.Event, at time.Time, g store.Grant) error {
	if !ev.Recorded() {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (`+eventCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		eventArgs(ev.Prepared(at, g))...)
	return err
}

// RecordEvent implements store.AuditLog.
func (db *DB) RecordEvent(ctx context.Context, ev store.Event) error {
	if !ev.Recorded() {
		return nil
	}
	return db.exec(ctx, "record event", `INSERT INTO audit_events (`+eventCols+`) VALUES (`+eventSelect(1, "", false)+`)`,
		eventArgs(ev.Prepared(time.Now(), store.Grant{}))...)
}

// Events implements store.AuditLog: one range of the index that fits the
// filter, newest first, one row more than the page to know if another follows.
func (db *DB) Events(ctx context.Context, f store.EventFilter) ([]store.Event, string, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	for _, c := range [...]struct{ col, v string }{{"client_id", f.ClientID}, {"subject", f.Subject},
		{"grant_id", f.GrantID}, {"kind", f.Kind}} {
		if c.v != "" {
			where = append(where, c.col+" = "+arg(c.v))
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(f.Until))
	}
	if f.After != "" {
		us, id, err := store.ParseEventCursor(f.After)
		if err != nil {
			return nil, "", fmt.Errorf("postgres: events: %w", err)
		}
		where = append(where, "(at, id) < ("+arg(time.UnixMicro(us).UTC())+"::timestamptz, "+arg(id)+")")
	}
	q := `SELECT ` + eventCols + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.PageLimit()
	q += ` ORDER BY at DESC, id DESC LIMIT ` + strconv.Itoa(limit+1)
	var out []store.Event
	err := db.do(ctx, "events", func(ctx context.Context) error {
		out = nil
		rows, err := db.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev store.Event
			if err := rows.Scan(eventDest(&ev)...); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, store.EventCursor(out[limit-1]), nil
}

// deleteEvents is one retention batch: the oldest events before $1, by
// the primary key's time order, locked SKIP LOCKED as DeleteExpired's sweeps.
var deleteEvents = sweep("audit_events", "at, id", "audit_events", "at < $1", "")

// DeleteEvents implements store.AuditLog: batch after batch, each one
// statement in its own transaction, until a batch comes back short.
func (db *DB) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		var n int64
		err := db.do(ctx, "delete events", func(ctx context.Context) error {
			tag, err := db.pool.Exec(ctx, deleteEvents, before)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if n < store.EventBatch {
			return total, nil
		}
	}
}
