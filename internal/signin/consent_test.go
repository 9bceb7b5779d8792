package signin_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Remember adds to a live consent: what was allowed before stays allowed.
func TestRememberMerges(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.Remember(f.ctx, "sub-alice", "app", []string{"openid", "profile"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Remember(f.ctx, "sub-alice", "app", []string{"openid", "offline_access"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Consent(f.ctx, "sub-alice", "app")
	if err != nil || c == nil {
		t.Fatal(err)
	}
	slices.Sort(c.Scopes)
	if !slices.Equal(c.Scopes, []string{"offline_access", "openid", "profile"}) {
		t.Errorf("scopes %v", c.Scopes)
	}
	if other, _ := f.svc.Consent(f.ctx, "sub-alice", "other"); other != nil {
		t.Errorf("another client's consent: %+v", other)
	}
}

// An expired consent is none, and adds nothing to a new one.
func TestExpiredConsent(t *testing.T) {
	f := newFixture(t)
	now := f.clk.Now()
	if err := f.st.SaveConsent(f.ctx, store.Consent{Subject: "sub-alice", ClientID: "app", Scopes: []string{"profile"},
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.svc.Consent(f.ctx, "sub-alice", "app"); c == nil {
		t.Fatal("live consent not found")
	}
	f.clk.Add(time.Hour)
	if c, _ := f.svc.Consent(f.ctx, "sub-alice", "app"); c != nil {
		t.Fatalf("expired consent found: %+v", c)
	}
	if err := f.svc.Remember(f.ctx, "sub-alice", "app", []string{"openid"}); err != nil {
		t.Fatal(err)
	}
	c, _ := f.svc.Consent(f.ctx, "sub-alice", "app")
	if c == nil || !slices.Equal(c.Scopes, []string{"openid"}) {
		t.Errorf("remembered %+v", c)
	}
}
