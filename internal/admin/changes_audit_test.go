package admin_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// TestClientAndUserChangesAreAudited: a change through the admin API is
// on the trail with what it was and who made it (the caller).
func TestClientAndUserChangesAreAudited(t *testing.T) {
	c := newClientsAPI(t)
	c.do("POST", "/api/v1/clients", svcSettings, http.StatusCreated, nil)
	c.do("POST", "/api/v1/clients/svc/disable", "", http.StatusOK, nil)
	c.do("POST", "/api/v1/users", `{"username":"dora","subject":"sub-dora","password":"a long enough passphrase"}`, http.StatusCreated, nil)
	for _, tc := range []struct {
		f       store.EventFilter
		kind    string
		reasons []string
	}{
		{store.EventFilter{ClientID: "svc"}, store.EventClientChanged, []string{"disabled", store.ClientCreated}},
		{store.EventFilter{Subject: "sub-dora"}, store.EventUserChanged, []string{store.UserCreated}},
	} {
		evs, _, err := c.st.Events(context.Background(), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(tc.reasons) {
			t.Fatalf("%+v: %d events, want %d: %+v", tc.f, len(evs), len(tc.reasons), evs)
		}
		for i, ev := range evs {
			if ev.Kind != tc.kind || ev.Reason != tc.reasons[i] || ev.Actor != audit.ActorOperator || ev.ActorID != "tester" {
				t.Errorf("event %d of %+v: %s %s by %s %s, want %s %s by operator tester", i, tc.f, ev.Kind, ev.Reason, ev.Actor, ev.ActorID, tc.kind, tc.reasons[i])
			}
		}
	}
}
