package grant_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

// awayStore is a memstore whose grant writes fail as a store that cannot
// be reached does, and which lists the store calls made, in order.
type awayStore struct {
	*memstore.Store
	away  bool
	calls []string
}

func (s *awayStore) CreateGrant(ctx context.Context, g store.Grant, first store.RefreshToken, ev store.Event) error {
	s.calls = append(s.calls, "CreateGrant")
	if s.away {
		return store.ErrUnavailable
	}
	return s.Store.CreateGrant(ctx, g, first, ev)
}

func (s *awayStore) RecordEvent(ctx context.Context, ev store.Event) error {
	s.calls = append(s.calls, "RecordEvent "+ev.Kind)
	if s.away {
		return store.ErrUnavailable
	}
	return s.Store.RecordEvent(ctx, ev)
}

// A password grant's sign-in goes on the trail after its grant: with the
// store away the answer waits for one store call (the grant's), not for a
// sign-in event first and the grant after it, each up to the statement
// timeout; and a sign-in that issued nothing is not recorded as one.
func TestPasswordGrantRecordsItsSignInAfterTheGrant(t *testing.T) {
	f := newFixture(t)
	f.reconfigure(func(c *config.Config) {
		c.Clients[0].GrantTypes = append(c.Clients[0].GrantTypes, "password")
	})
	st := &awayStore{Store: f.st}
	f.h.Refresh = refresh.New(st, mint.NewRefreshKeys(systemSecret), f.clk.Now, nil)
	f.h.Passwords.SetTrail(st, "node-1")
	req := grant.Request{GrantType: grant.TypePassword, Client: f.client("app"), Username: "alice",
		Password: "fixture password", Scope: []string{"openid", "offline_access"}, ScopeGiven: true}

	if _, err := f.h.Exchange(f.ctx, req); err != nil {
		t.Fatal(err)
	}
	if want := []string{"CreateGrant", "RecordEvent " + store.EventSignIn}; !slices.Equal(st.calls, want) {
		t.Errorf("store calls of a password grant: %q, want %q", st.calls, want)
	}
	evs, _, err := f.st.Events(f.ctx, store.EventFilter{Kind: store.EventSignIn})
	if err != nil || len(evs) != 1 || evs[0].Subject != "sub-alice" || !evs[0].Time.Equal(f.clk.Now()) {
		t.Errorf("sign-in events: %+v, %v; want one of sub-alice at the check's time", evs, err)
	}

	st.away, st.calls = true, nil
	_, err = f.h.Exchange(f.ctx, req)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("password grant with the store away: %v, want store.ErrUnavailable", err)
	}
	if want := []string{"CreateGrant"}; !slices.Equal(st.calls, want) {
		t.Errorf("store calls of a password grant with the store away: %q, want %q", st.calls, want)
	}
}
