package grant

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// polWantErr checks err against the wanted oautherr code ("" for success)
// and that it carries a description.
func polWantErr(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *oautherr.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *oautherr.Error %s", err, err, code)
	}
	if e.Code != code || strings.TrimSpace(e.Description) == "" {
		t.Fatalf("err = %s (%q), want %s with a description", e.Code, e.Description, code)
	}
}

var (
	polConfidential = &config.Client{ID: "web", Type: config.ClientConfidential, AllowOfflineAccess: true,
		Scopes: []string{"openid", "profile", "offline_access", "api"}}
	polNoOffline = &config.Client{ID: "web-nooffline", Type: config.ClientConfidential,
		Scopes: []string{"openid", "profile", "offline_access"}}
	polPublic = &config.Client{ID: "spa", Type: config.ClientPublic, Scopes: []string{"openid", "profile"}}
)

func TestRequestedScopePolicy(t *testing.T) {
	cases := []struct {
		name   string
		client *config.Client
		scope  []string
		given  bool
		want   []string
		code   string
	}{
		{"absent: registered minus offline_access", polConfidential, nil, false, []string{"openid", "profile", "api"}, ""},
		{"absent public", polPublic, nil, false, []string{"openid", "profile"}, ""},
		{"absent: never the admin scope", &config.Client{ID: "ops", Type: config.ClientConfidential, Scopes: []string{"api", config.ScopeAdmin}}, nil, false, []string{"api"}, ""},
		{"the admin scope by name", &config.Client{ID: "ops", Type: config.ClientConfidential, Scopes: []string{"api", config.ScopeAdmin}}, []string{config.ScopeAdmin}, true, []string{config.ScopeAdmin}, ""},
		{"absent, client lists offline only", &config.Client{ID: "o", Scopes: []string{"offline_access"}}, nil, false, []string{}, ""},
		{"given empty stays empty", polConfidential, []string{}, true, []string{}, ""},
		{"subset in request order", polConfidential, []string{"api", "openid"}, true, []string{"api", "openid"}, ""},
		{"duplicates collapsed", polConfidential, []string{"openid", "api", "openid"}, true, []string{"openid", "api"}, ""},
		{"unregistered", polConfidential, []string{"openid", "admin"}, true, nil, oautherr.InvalidScope},
		{"case matters", polConfidential, []string{"OpenID"}, true, nil, oautherr.InvalidScope},
		{"offline allowed", polConfidential, []string{"openid", "offline_access"}, true, []string{"openid", "offline_access"}, ""},
		{"offline not allowed", polNoOffline, []string{"openid", "offline_access"}, true, nil, oautherr.InvalidScope},
		{"offline alone not allowed", polNoOffline, []string{"offline_access"}, true, nil, oautherr.InvalidScope},
		{"offline from public dropped (not even registered)", polPublic, []string{"openid", "offline_access"}, true,
			[]string{"openid"}, ""},
		{"public still refused unregistered", polPublic, []string{"offline_access", "api"}, true, nil, oautherr.InvalidScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.client.Scopes)
			got, err := RequestedScope(tc.client, tc.scope, tc.given)
			polWantErr(t, err, tc.code)
			if tc.code == "" && !slices.Equal(got, tc.want) {
				t.Fatalf("scopes = %q, want %q", got, tc.want)
			}
			if !slices.Equal(tc.client.Scopes, before) {
				t.Fatalf("client scopes changed: %q, were %q", tc.client.Scopes, before)
			}
			// The unexported form applies the same rules.
			got2, err2 := requestedScope(tc.client, Request{Scope: tc.scope, ScopeGiven: tc.given})
			if (err == nil) != (err2 == nil) || !slices.Equal(got, got2) {
				t.Fatalf("requestedScope = %q, %v; RequestedScope = %q, %v", got2, err2, got, err)
			}
		})
	}
}

func TestNarrowScopePolicy(t *testing.T) {
	granted := []string{"openid", "profile", "offline_access", "api"}
	lost := &config.Client{ID: "web", Type: config.ClientConfidential, AllowOfflineAccess: true,
		Scopes: []string{"openid", "offline_access", "api"}} // profile removed since the grant
	cases := []struct {
		name   string
		client *config.Client
		scope  []string
		given  bool
		want   []string
		code   string
	}{
		{"absent keeps the grant", polConfidential, nil, false, granted, ""},
		{"absent drops what the client lost", lost, nil, false, []string{"openid", "offline_access", "api"}, ""},
		{"narrower", polConfidential, []string{"openid", "offline_access"}, true, []string{"openid", "offline_access"}, ""},
		{"same", polConfidential, granted, true, granted, ""},
		{"duplicates collapsed", polConfidential, []string{"api", "api"}, true, []string{"api"}, ""},
		{"given empty", polConfidential, []string{}, true, []string{}, ""},
		{"wider refused", polConfidential, []string{"openid", "email"}, true, nil, oautherr.InvalidScope},
		{"registered but not granted refused", &config.Client{ID: "x", Scopes: []string{"openid", "admin"}},
			[]string{"admin"}, true, nil, oautherr.InvalidScope},
		{"granted but lost refused", lost, []string{"openid", "profile"}, true, nil, oautherr.InvalidScope},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := slices.Clone(granted)
			got, err := narrowScope(tc.client, g, Request{Scope: tc.scope, ScopeGiven: tc.given})
			polWantErr(t, err, tc.code)
			if tc.code == "" && !slices.Equal(got, tc.want) {
				t.Fatalf("scopes = %q, want %q", got, tc.want)
			}
			if !slices.Equal(g, granted) {
				t.Fatalf("granted slice modified: %q", g)
			}
		})
	}
}

func TestUserClaimsPolicy(t *testing.T) {
	u := &config.User{Username: "alice", Subject: "sub-alice", Claims: map[string]any{
		"name": "Alice", "picture": "https://img/a.png", "email": "a@example.com", "email_verified": true,
		"phone_number": "+47 1", "address": map[string]any{"country": "NO"}, "hpr_number": "123", "department": "x",
	}}
	custom := map[string]any{"hpr_number": "123", "department": "x"}
	with := func(names ...string) map[string]any {
		m := maps.Clone(custom)
		for _, n := range names {
			m[n] = u.Claims[n]
		}
		return m
	}
	cases := []struct {
		name   string
		scopes []string
		want   map[string]any
	}{
		{"no scopes: custom claims only", nil, custom},
		{"openid releases no standard claim", []string{"openid"}, custom},
		{"profile", []string{"openid", "profile"}, with("name", "picture")},
		{"email", []string{"email"}, with("email", "email_verified")},
		{"phone (verified flag absent)", []string{"phone"}, with("phone_number")},
		{"address", []string{"address"}, with("address")},
		{"all", []string{"profile", "email", "phone", "address", "offline_access"},
			with("name", "picture", "email", "email_verified", "phone_number", "address")},
		{"unknown scope releases nothing", []string{"api", "hpr"}, custom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := UserClaims(u, tc.scopes)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("claims = %v, want %v", got, tc.want)
			}
			if _, ok := got["sub"]; ok {
				t.Fatalf("UserClaims produced sub: %v", got)
			}
			// The caller adds sub to the map it gets (userinfo does): that must
			// not reach the user's configured claims.
			got["sub"] = "someone-else"
			got["email"] = "changed"
			if _, ok := u.Claims["sub"]; ok || u.Claims["email"] != "a@example.com" {
				t.Fatalf("writing to the returned map changed the user: %v", u.Claims)
			}
		})
	}
	if got := UserClaims(&config.User{Subject: "s"}, []string{"profile"}); len(got) != 0 {
		t.Fatalf("user without claims: %v", got)
	}
}

// TestUserClaimsSubGuardPolicy: UserClaims passes any non-standard claim
// through, so what keeps a configured claim from forging sub is config:
// Finish refuses claims named like a registered claim.
func TestUserClaimsSubGuardPolicy(t *testing.T) {
	for _, name := range []string{"sub", "iss", "aud", "client_id", "scope"} {
		cfg := &config.Config{Issuer: "https://login.example.com", Users: []config.User{{Username: "mallory",
			Subject: "sub-m", Password: "pw", Claims: map[string]any{name: "forged"}}}}
		err := cfg.Finish()
		if err == nil || !strings.Contains(err.Error(), "claims."+name) {
			t.Errorf("claims.%s: Finish err = %v, want it refused", name, err)
		}
	}
}
