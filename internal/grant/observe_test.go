package grant_test

import (
	"fmt"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// heard records what the handler told its observer, one line per call.
type heard []string

func (h *heard) TokenIssued(grantType, clientID string) {
	*h = append(*h, "issued "+grantType+" "+clientID)
}

func (h *heard) RefreshOutcome(clientID string, o refresh.Outcome) {
	*h = append(*h, fmt.Sprintf("refresh %s %s", o, clientID))
}

// TestObserverHearsEachDecision: a token response is one TokenIssued; each
// refresh request is exactly one outcome, the refusals the handler decides
// itself (a disabled user, a client no longer allowed, a scope beyond the
// grant) included; a refusal issues nothing.
func TestObserverHearsEachDecision(t *testing.T) {
	f := newFixture(t)
	h := &heard{}
	f.h.Observe = h
	rt := f.mustRedeem().RefreshToken
	next, err := f.refresh("app", rt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.refresh("app", rt, "openid", "admin"); err == nil {
		t.Fatal("a scope beyond the grant was accepted")
	}
	f.user("alice").Disabled = true
	if _, err := f.refresh("app", next.RefreshToken); err == nil {
		t.Fatal("a disabled user's refresh was accepted")
	}
	f.reconfigure(func(c *config.Config) { c.Clients[0].AllowOfflineAccess = false })
	if _, err := f.refresh("app", next.RefreshToken); err == nil {
		t.Fatal("a refresh by a client no longer allowed was accepted")
	}
	want := []string{
		"issued authorization_code app",
		"refresh ok app",
		"issued refresh_token app",
		"refresh refused app",
		"refresh user_disabled app",
		"refresh client_not_allowed app",
	}
	if fmt.Sprint(*h) != fmt.Sprint(want) {
		t.Errorf("observer heard\n%q\nwant\n%q", *h, want)
	}
}

var _ grant.Observer = (*heard)(nil)
