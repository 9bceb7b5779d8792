package admin

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// auditRoutes is the audit trail's part of the API: reading it.
func (a *API) auditRoutes() []route {
	return []route{{"GET " + PathAPI + "/audit", a.listAudit}}
}

// Event is one audit-trail entry as the API shows it.
type Event struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	Reason     string    `json:"reason,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	ActorID    string    `json:"actor_id,omitempty"`
	Node       string    `json:"node,omitempty"`
	ClientID   string    `json:"client_id,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	GrantID    string    `json:"grant_id,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
}

// EventPage is a page of the trail, newest first; Next resumes it ("" at the end).
type EventPage struct {
	Items []Event `json:"items"`
	Next  string  `json:"next"`
}

// EventKinds are the kinds ?kind= accepts.
var EventKinds = []string{store.EventSignIn, store.EventSignInFailed, store.EventGrantCreated,
	store.EventRefreshRefused, store.EventReuseDetected, store.EventRevoked, store.EventClientChanged,
	store.EventUserChanged, store.EventKeyChanged, store.EventConsentWithdrawn}

// listAudit is GET /api/v1/audit: the events that match every filter
// given, newest first, paged.
func (a *API) listAudit(r *http.Request) (any, error) {
	q := r.URL.Query()
	page, err := PageOf(r)
	if err != nil {
		return nil, err
	}
	f := store.EventFilter{ClientID: q.Get("client"), Subject: q.Get("subject"), GrantID: q.Get("grant"),
		Kind: q.Get("kind"), Limit: page.Limit, After: page.After}
	if f.Kind != "" && !slices.Contains(EventKinds, f.Kind) {
		return nil, BadRequest("kind %q is not one of %s", f.Kind, strings.Join(EventKinds, ", "))
	}
	now := a.Now()
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(p.name); s != "" {
			if *p.t, err = ParseSince(s, now); err != nil {
				return nil, BadRequest("%s: %v", p.name, err)
			}
		}
	}
	evs, next, err := a.Store.Events(r.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, BadRequest("after %q is not a cursor this listing returned", page.After)
	}
	if err != nil {
		return nil, err
	}
	out := EventPage{Items: make([]Event, len(evs)), Next: next}
	for i, e := range evs {
		out.Items[i] = Event{ID: e.ID, Time: e.Time.UTC(), Kind: e.Kind, Reason: e.Reason, Actor: e.Actor, ActorID: e.ActorID,
			Node: e.Node, ClientID: e.ClientID, Subject: e.Subject, GrantID: e.GrantID, SessionID: e.SessionID,
			RemoteAddr: e.RemoteAddr, UserAgent: e.UserAgent, RequestID: e.RequestID}
	}
	return out, nil
}

// ParseSince reads a point in time as the operator writes it: a duration
// back from now ("24h", "90m", "7d") or an RFC 3339 time
// ("2026-05-01T08:00:00Z").
func ParseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		n, nerr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, nerr
	}
	if err != nil || d <= 0 {
		return time.Time{}, errors.New(`"` + s + `" is neither a duration back from now (24h, 90m, 7d) nor an RFC 3339 time (2026-05-01T08:00:00Z)`)
	}
	return now.Add(-d), nil
}
