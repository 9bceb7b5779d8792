package grant_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// A client whose allow_offline_access was turned off loses refresh at
// once; the refusal consumes nothing.
func TestRefreshAfterOfflineAccessWasTurnedOff(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
	f.client("app").AllowOfflineAccess = false
	_, err := f.refresh("app", rt)
	wantOAuth(t, err, oautherr.UnauthorizedClient)
	f.client("app").AllowOfflineAccess = true
	if _, err := f.refresh("app", rt); err != nil {
		t.Fatalf("refresh once allowed again: %v", err)
	}
}

func TestRefreshForADisabledOrRemovedUser(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
	f.user("alice").Disabled = true
	_, err := f.refresh("app", rt)
	wantOAuth(t, err, oautherr.InvalidGrant)
	f.user("alice").Disabled = false
	rt2, err := f.refresh("app", rt)
	if err != nil {
		t.Fatalf("refresh once enabled again: %v", err)
	}
	f.reconfigure(func(c *config.Config) { c.Users = c.Users[1:] }) // alice removed
	_, err = f.refresh("app", rt2.RefreshToken)
	wantOAuth(t, err, oautherr.InvalidGrant)
}

// A retry of a just-rotated token within the grace window is refused for a
// user disabled in between: the user check runs for a retry too.
func TestRetryWithinGraceForADisabledUser(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
	next, err := f.refresh("app", rt)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Add(10 * time.Second) // within the minute of grace
	f.user("alice").Disabled = true
	if resp, err := f.refresh("app", rt); err == nil {
		t.Fatalf("retry for a disabled user got %q", resp.RefreshToken)
	} else {
		wantOAuth(t, err, oautherr.InvalidGrant)
	}
	f.user("alice").Disabled = false
	again, err := f.refresh("app", rt)
	if err != nil || again.RefreshToken != next.RefreshToken {
		t.Fatalf("retry once enabled: %v; want the same successor", err)
	}
}

// A refresh token presented by another client gets the words an unknown
// token gets (they must not confirm it is live); the audit log says why.
func TestRefreshByAnotherClientIsAnsweredAsUnknown(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
	_, err := f.refresh("app", mint.NewLegacyRefreshToken())
	unknown := wantOAuth(t, err, oautherr.InvalidGrant).Description
	_, err = f.refresh("other", rt)
	if got := wantOAuth(t, err, oautherr.InvalidGrant).Description; got != unknown {
		t.Fatalf("another client's token: %q, want the unknown-token answer %q", got, unknown)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "event=refresh_token_wrong_client") || !strings.Contains(logs, "presented_by=other") {
		t.Fatalf("audit log lacks the real reason:\n%s", logs)
	}
	if _, err := f.refresh("app", rt); err != nil {
		t.Fatalf("the rightful client after another's attempt: %v", err)
	}
}

// Narrowing the scope of a refresh (RFC 6749 §6) narrows the access token;
// the refresh token keeps the scope of the one presented ("MUST be
// identical"), offline_access included, so narrowing it away still rotates
// to a successor with the whole grant, as Duende and Keycloak do.
func TestNarrowingAwayOfflineAccessNarrowsOnlyTheAccessToken(t *testing.T) {
	f := newFixture(t)
	rt := f.mustRedeem().RefreshToken
	narrow, err := f.refresh("app", rt, "openid")
	if err != nil {
		t.Fatal(err)
	}
	if narrow.Scope != "openid" || !slices.Equal(f.accessScopes(narrow.AccessToken), []string{"openid"}) {
		t.Fatalf("narrowed response scope %q, access token %v; want openid", narrow.Scope, f.accessScopes(narrow.AccessToken))
	}
	if narrow.RefreshToken == "" || narrow.RefreshToken == rt {
		t.Fatal("one_time rotation handed out no successor")
	}
	if g := f.grantOf(narrow.RefreshToken); !slices.Contains(g.Scopes, "offline_access") {
		t.Fatalf("successor's grant scope %v lost offline_access", g.Scopes)
	}
	full, err := f.refresh("app", narrow.RefreshToken)
	if err != nil || full.Scope != "openid offline_access" {
		t.Fatalf("refresh without scope after narrowing: %+v, %v; want the original scope", full, err)
	}
	_, err = f.refresh("app", full.RefreshToken, "openid", "api") // never widened
	wantOAuth(t, err, oautherr.InvalidScope)
}
