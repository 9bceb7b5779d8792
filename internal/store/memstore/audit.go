package memstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// record appends ev, prepared with at and g, to the trail. The caller holds
// the lock: the event goes in with the change, as in a transaction.
func (s *Store) record(ev store.Event, at time.Time, g store.Grant) {
	if ev.Recorded() {
		s.events = append(s.events, ev.Prepared(at, g))
	}
}

// RecordEvent implements store.AuditLog.
func (s *Store) RecordEvent(ctx context.Context, ev store.Event) error {
	if !ev.Recorded() {
		return nil
	}
	if err := s.lock(ctx, "record event"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.record(ev, time.Now(), store.Grant{})
	return nil
}

// newerFirst orders events as Events lists them: time, then id, descending.
func newerFirst(a, b store.Event) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	switch {
	case a.ID > b.ID:
		return -1
	case a.ID < b.ID:
		return 1
	}
	return 0
}

// Events implements store.AuditLog.
func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]store.Event, string, error) {
	var afterUS int64
	var afterID string
	if f.After != "" {
		var err error
		if afterUS, afterID, err = store.ParseEventCursor(f.After); err != nil {
			return nil, "", fmt.Errorf("memstore: events: %w", err)
		}
	}
	if err := s.lock(ctx, "events"); err != nil {
		return nil, "", err
	}
	var out []store.Event
	for _, ev := range s.events {
		if !f.Matches(ev) {
			continue
		}
		if f.After != "" {
			us := ev.Time.UnixMicro()
			if us > afterUS || (us == afterUS && ev.ID >= afterID) {
				continue
			}
		}
		out = append(out, ev)
	}
	s.mu.Unlock()
	slices.SortFunc(out, newerFirst)
	limit := f.PageLimit()
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, store.EventCursor(out[limit-1]), nil
}

// DeleteEvents implements store.AuditLog.
func (s *Store) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	if err := s.lock(ctx, "delete events"); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := len(s.events)
	s.events = slices.DeleteFunc(s.events, func(ev store.Event) bool { return ev.Time.UnixMicro() < before.UnixMicro() })
	return n - len(s.events), nil
}
