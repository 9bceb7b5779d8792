package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// auditServer serves the API over a memstore holding events at now-1h,
// now-2h, ... now-5h, alternately of two clients.
func auditServer(t *testing.T, now time.Time) (*admin.Server, store.Store) {
	t.Helper()
	st := memstore.New()
	for i := 1; i <= 5; i++ {
		client := "client-a"
		if i%2 == 0 {
			client = "client-b"
		}
		ev := store.Event{Kind: store.EventRefreshRefused, Reason: "expired_idle", Time: now.Add(-time.Duration(i) * time.Hour),
			ClientID: client, Subject: "alice", GrantID: "g" + string(rune('0'+i))}
		if err := st.RecordEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	s, err := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.NewToken(token)}})
	if err != nil {
		t.Fatal(err)
	}
	(&admin.API{Store: st, Now: func() time.Time { return now }}).Register(s)
	return s, st
}

func getAudit(t *testing.T, s http.Handler, q url.Values) (int, admin.EventPage, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/api/v1/audit?"+q.Encode(), nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var p admin.EventPage
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
	}
	return w.Code, p, w.Body.String()
}

func grantsOf(p admin.EventPage) (s string) {
	for _, e := range p.Items {
		s += e.GrantID
	}
	return s
}

func TestAuditListing(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s, _ := auditServer(t, now)
	for _, c := range []struct {
		q    url.Values
		want string
	}{
		{url.Values{}, "g1g2g3g4g5"},
		{url.Values{"client": {"client-a"}}, "g1g3g5"},
		{url.Values{"grant": {"g2"}}, "g2"},
		{url.Values{"subject": {"bob"}}, ""},
		{url.Values{"since": {"150m"}}, "g1g2"},
		{url.Values{"since": {"2026-05-01T08:30:00Z"}}, "g1g2g3"},
		{url.Values{"until": {"3h"}, "kind": {"refresh_refused"}}, "g4g5"},
	} {
		code, p, body := getAudit(t, s, c.q)
		if code != 200 || grantsOf(p) != c.want {
			t.Errorf("?%s: %d %q (%s), want %q", c.q.Encode(), code, grantsOf(p), body, c.want)
		}
	}
	// Paging: two at a time, following next, the same five in order.
	var all string
	q := url.Values{"limit": {"2"}}
	for range 4 {
		code, p, body := getAudit(t, s, q)
		if code != 200 {
			t.Fatalf("page: %d %s", code, body)
		}
		all += grantsOf(p)
		if p.Next == "" {
			break
		}
		q.Set("after", p.Next)
	}
	if all != "g1g2g3g4g5" {
		t.Errorf("paged: %q", all)
	}
	for _, bad := range []url.Values{{"since": {"yesterday"}}, {"until": {"-1h"}}, {"kind": {"nope"}},
		{"limit": {"0"}}, {"after": {"garbage!"}}} {
		if code, _, body := getAudit(t, s, bad); code != http.StatusBadRequest {
			t.Errorf("?%s: %d %s, want 400 invalid_request", bad.Encode(), code, body)
		}
	}
}

// TestAdminCallerIsTheActor: a change made through the admin API names
// the caller in the trail (the server puts it in the context).
func TestAdminCallerIsTheActor(t *testing.T) {
	var kind, id string
	s, err := admin.New(admin.Options{Authorizers: []admin.Authorizer{admin.NewToken(token)},
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { kind, id = audit.Actor(r.Context()) })})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	s.ServeHTTP(httptest.NewRecorder(), r)
	if kind != audit.ActorAdmin || id != admin.CallerToken {
		t.Errorf("actor %q %q, want admin token", kind, id)
	}
}
