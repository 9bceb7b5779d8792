package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// AuditLog is the audit trail's own part of the store: the events that
// change nothing else, the reading of the trail, and its retention. The
// events that record a change are written by the change's own method, in
// its transaction (Event).
type AuditLog interface {
	// RecordEvent writes an event that changes nothing else: a failed
	// sign-in, a refused refresh. An event that is not Recorded is ignored.
	RecordEvent(ctx context.Context, ev Event) error
	// Events returns the events f selects, newest first (by Time, then
	// ID), at most f.Limit of them (DefaultEventLimit when 0), and the
	// cursor of the next page ("" when this page is the last). Paging is
	// by keyset, so events written while an operator pages never shift a
	// page or repeat an event.
	Events(ctx context.Context, f EventFilter) ([]Event, string, error)
	// DeleteEvents removes the events older than before (retention) and
	// returns how many went. It deletes in batches of EventBatch rows, each
	// its own short transaction, as DeleteExpired does.
	DeleteEvents(ctx context.Context, before time.Time) (int, error)
}

// EventBatch bounds the rows one DeleteEvents or bulk-revocation
// transaction writes or deletes.
const EventBatch = 1000

// DefaultEventLimit and MaxEventLimit bound one page of Events.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// EventFilter selects events. Empty fields match anything.
type EventFilter struct {
	ClientID, Subject, GrantID, Kind string
	Since                            time.Time // inclusive; zero: from the start
	Until                            time.Time // exclusive; zero: to now
	Limit                            int       // 1..MaxEventLimit; 0: DefaultEventLimit
	After                            string    // a cursor Events returned; "": the newest page
}

// PageLimit returns f.Limit bounded to 1..MaxEventLimit (0: the default).
func (f EventFilter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return DefaultEventLimit
	case f.Limit > MaxEventLimit:
		return MaxEventLimit
	}
	return f.Limit
}

// ErrBadCursor: a paging cursor (of Events or ListGrants) that no listing
// of the same kind returned.
var ErrBadCursor = errors.New("store: not a cursor this listing returned")

// EventCursor makes the opaque cursor that resumes a listing after ev.
func EventCursor(ev Event) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ev.Time.UnixMicro(), 10) + "." + ev.ID))
}

// ParseEventCursor returns the time (unix microseconds) and id a cursor
// holds; ErrBadCursor when it is not one.
func ParseEventCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(b), ".")
	us, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", ErrBadCursor
	}
	return us, id, nil
}

// NewEventID returns a random event id (16 bytes, hex). Events are keyed
// by (time, id), never by a sequence: a sequence is one hot spot on every
// node, and PostgreSQL-compatible distributed databases shun it.
func NewEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b[:])
}

// Prepared returns ev as a backend writes it: an id when it has none, at
// as its time when it has none, its time in UTC microseconds, and the
// grant's fields where ev leaves them empty. A backend calls it with the
// grant it changed (the zero Grant when there is none).
func (ev Event) Prepared(at time.Time, g Grant) Event {
	if ev.ID == "" {
		ev.ID = NewEventID()
	}
	if ev.Time.IsZero() {
		ev.Time = at
	}
	ev.Time = ev.Time.UTC().Truncate(time.Microsecond)
	if ev.GrantID == "" {
		ev.GrantID = g.ID
	}
	if ev.ClientID == "" {
		ev.ClientID = g.ClientID
	}
	if ev.Subject == "" {
		ev.Subject = g.Subject
	}
	if ev.SessionID == "" {
		ev.SessionID = g.SessionID
	}
	return ev
}

// Matches reports whether f selects ev, cursor aside (the in-memory
// backend filters with it; the SQL ones in their WHERE).
func (f EventFilter) Matches(ev Event) bool {
	return (f.ClientID == "" || ev.ClientID == f.ClientID) && (f.Subject == "" || ev.Subject == f.Subject) &&
		(f.GrantID == "" || ev.GrantID == f.GrantID) && (f.Kind == "" || ev.Kind == f.Kind) &&
		(f.Since.IsZero() || ev.Time.UnixMicro() >= f.Since.UnixMicro()) &&
		(f.Until.IsZero() || ev.Time.UnixMicro() < f.Until.UnixMicro()) // microseconds, as the SQL backends keep
}
