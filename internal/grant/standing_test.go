package grant_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The one rule the refresh grant, userinfo and introspection share.
func TestStanding(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	app := f.client("app")
	g := store.Grant{ID: "g1", ClientID: "app", Subject: "sub-alice"}
	with := func(edit func(c *config.Client)) *config.Client {
		c := *app
		edit(&c)
		return &c
	}
	for _, tc := range []struct {
		name   string
		client *config.Client
		sub    string
		want   error
	}{
		{"live", app, "sub-alice", nil},
		{"client removed", nil, "sub-alice", grant.ErrClientGone},
		{"allow_offline_access off", with(func(c *config.Client) { c.AllowOfflineAccess = false }), "sub-alice", grant.ErrNoOfflineAccess},
		{"refresh_token grant dropped", with(func(c *config.Client) { c.GrantTypes = []string{"authorization_code"} }), "sub-alice", grant.ErrNoOfflineAccess},
		{"client made public", with(func(c *config.Client) { c.Type = config.ClientPublic }), "sub-alice", grant.ErrNoOfflineAccess},
		{"user removed", app, "sub-removed", grant.ErrUserInactive},
	} {
		g.Subject = tc.sub
		u, err := grant.RefreshStanding(ctx, tc.client, f.h.Users, g)
		if !errors.Is(err, tc.want) || (err == nil) != (u != nil) {
			t.Errorf("RefreshStanding, %s: %v, %v; want %v", tc.name, u, err, tc.want)
		}
	}
	f.user("alice").Disabled = true
	g.Subject = "sub-alice"
	if _, err := grant.RefreshStanding(ctx, app, f.h.Users, g); !errors.Is(err, grant.ErrUserInactive) {
		t.Errorf("RefreshStanding, user disabled: %v", err)
	}
	if _, err := grant.AccessStanding(ctx, app, f.h.Users, "sub-alice"); !errors.Is(err, grant.ErrUserInactive) {
		t.Errorf("AccessStanding, user disabled: %v", err)
	}
	if u, err := grant.AccessStanding(ctx, app, f.h.Users, "sub-bob"); err != nil || u == nil || u.Subject != "sub-bob" {
		t.Errorf("AccessStanding, live user: %v, %v", u, err)
	}
	// A client's own token (client credentials) needs only its client.
	if u, err := grant.AccessStanding(ctx, app, f.h.Users, "app"); err != nil || u != nil {
		t.Errorf("AccessStanding, client token: %v, %v", u, err)
	}
	if _, err := grant.AccessStanding(ctx, nil, f.h.Users, "sub-bob"); !errors.Is(err, grant.ErrClientGone) {
		t.Errorf("AccessStanding, client removed: %v", err)
	}
}
