package grant_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

func TestCodeExchangeTiesTheCodeToItsGrant(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	resp, err := f.redeem("app", code)
	if err != nil {
		t.Fatal(err)
	}
	if resp.AccessToken == "" || resp.IDToken == "" || resp.RefreshToken == "" || resp.Scope != "openid offline_access" {
		t.Fatalf("response %+v", resp)
	}
	stored, err := f.st.AuthCode(f.ctx, mint.HashToken(code))
	if err != nil || stored.ConsumedAt.IsZero() || stored.GrantID != f.grantOf(resp.RefreshToken).ID {
		t.Fatalf("code after redemption: %+v, %v; want consumed with the refresh token's grant", stored, err)
	}
}

// TestCodeOfAnotherClientChangesNothing (issue 10, flaw 4): a code
// presented by a client it was not issued to, confidential or public, gets
// the answer an unknown code gets, and its rightful client can still
// redeem it.
func TestCodeOfAnotherClientChangesNothing(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	_, unknown := f.redeem("app", mint.NewCode())
	want := wantOAuth(t, unknown, oautherr.InvalidGrant).Description
	for _, thief := range []string{"other", "spa"} {
		_, err := f.redeem(thief, code)
		if got := wantOAuth(t, err, oautherr.InvalidGrant).Description; got != want {
			t.Errorf("%s presenting app's code: %q, want the unknown-code answer %q", thief, got, want)
		}
	}
	if !strings.Contains(f.logs.String(), "event=code_wrong_client") {
		t.Errorf("no audit line for the wrong client:\n%s", f.logs.String())
	}
	if _, err := f.redeem("app", code); err != nil {
		t.Fatalf("the rightful client after another's attempt: %v", err)
	}
}

// After the rightful redemption, another client's presentation of the code
// revokes nothing: only the code's own client replaying it does.
func TestCodeOfAnotherClientAfterRedemptionRevokesNothing(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	resp, err := f.redeem("app", code)
	if err != nil {
		t.Fatal(err)
	}
	for _, thief := range []string{"other", "spa"} {
		_, err := f.redeem(thief, code)
		wantOAuth(t, err, oautherr.InvalidGrant)
	}
	if f.grantOf(resp.RefreshToken).Revoked() {
		t.Fatal("another client's presentation revoked the rightful client's grant")
	}
	if _, err := f.refresh("app", resp.RefreshToken); err != nil {
		t.Fatalf("refresh after another client presented the code: %v", err)
	}
}

// A wrong redirect_uri or code_verifier is refused before the code is
// consumed, so only the party holding the verifier can use or burn it.
func TestBindingFailuresDoNotBurnTheCode(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	verifier, _ := pkce()
	for name, try := range map[string][2]string{
		"wrong redirect_uri": {"https://app.example/other", verifier},
		"no redirect_uri":    {"", verifier},
		"wrong verifier":     {redirectApp, strings.Repeat("w", 43)},
		"no verifier":        {redirectApp, ""},
	} {
		_, err := f.redeemWith("app", code, try[0], try[1])
		if e := wantOAuth(t, err, oautherr.InvalidGrant); strings.Contains(e.Description, "already used") {
			t.Errorf("%s: %q", name, e.Description)
		}
	}
	if _, err := f.redeem("app", code); err != nil {
		t.Fatalf("redeem after refused attempts: %v", err)
	}
}

// RFC 6749 §4.1.2: the code's own client presenting it again is denied, and
// what was issued from it is revoked; the answer says so, and it is true.
func TestCodeReplayByItsClientRevokesTheGrant(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	resp, err := f.redeem("app", code)
	if err != nil {
		t.Fatal(err)
	}
	// A replay that fails the binding is not the client's: nothing revoked.
	_, err = f.redeemWith("app", code, redirectApp, strings.Repeat("w", 43))
	wantOAuth(t, err, oautherr.InvalidGrant)
	if f.grantOf(resp.RefreshToken).Revoked() {
		t.Fatal("a replay with the wrong verifier revoked the grant")
	}
	_, err = f.redeem("app", code)
	if e := wantOAuth(t, err, oautherr.InvalidGrant); !strings.Contains(e.Description, "now revoked") {
		t.Errorf("replay answer %q does not say the grant is revoked", e.Description)
	}
	if !f.grantOf(resp.RefreshToken).Revoked() {
		t.Fatal("grant not revoked by the replay")
	}
	_, err = f.refresh("app", resp.RefreshToken)
	wantOAuth(t, err, oautherr.InvalidGrant)
	if !strings.Contains(f.logs.String(), "outcome=revoked") {
		t.Errorf("log does not say what was revoked:\n%s", f.logs.String())
	}
	_, err = f.redeem("app", code)
	if e := wantOAuth(t, err, oautherr.InvalidGrant); !strings.Contains(e.Description, "already revoked") {
		t.Errorf("second replay: %q, want it to say the grant was already revoked", e.Description)
	}
}

// A replay of a code that yielded no refresh token does not claim to have
// revoked anything.
func TestCodeReplayWithoutAGrantClaimsNoRevocation(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(func(c *store.AuthCode) { c.Scopes = []string{"openid"} })
	if resp, err := f.redeem("app", code); err != nil || resp.RefreshToken != "" {
		t.Fatalf("redeem: %+v, %v; want no refresh token", resp, err)
	}
	_, err := f.redeem("app", code)
	if e := wantOAuth(t, err, oautherr.InvalidGrant); strings.Contains(e.Description, "revoked") {
		t.Errorf("replay answer %q claims a revocation", e.Description)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "outcome=no_grant") || strings.Contains(logs, "grant revoked") {
		t.Errorf("log:\n%s", logs)
	}
}

// hookedCodes wraps the fixture's store: hook runs once, right after the
// first successful ConsumeAuthCode and before the redemption goes on to
// create its grant, which is the window of a replay.
type hookedCodes struct {
	st interface {
		AuthCode(ctx context.Context, hash string) (store.AuthCode, error)
		ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error)
	}
	once sync.Once
	hook func()
}

func (h *hookedCodes) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	return h.st.AuthCode(ctx, hash)
}

func (h *hookedCodes) ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error) {
	c, err := h.st.ConsumeAuthCode(ctx, hash, at, grantID)
	if err == nil {
		h.once.Do(h.hook)
	}
	return c, err
}

// TestCodeReplayBeforeTheGrantExists (issue 10, flaw 5): the replay lands
// after the first redemption consumed the code and before it created the
// grant. The replay tombstones the grant id, the first redemption then
// issues nothing, and both answers and the log say so.
func TestCodeReplayBeforeTheGrantExists(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	var replayErr error
	f.h.Codes = &hookedCodes{st: f.st, hook: func() { _, replayErr = f.redeem("app", code) }}
	resp, err := f.redeem("app", code)
	if e := wantOAuth(t, err, oautherr.InvalidGrant); resp != nil || !strings.Contains(e.Description, "used twice") {
		t.Fatalf("first redemption after a replay in its window: %+v, %q; want nothing issued", resp, e.Description)
	}
	wantOAuth(t, replayErr, oautherr.InvalidGrant)
	stored, _ := f.st.AuthCode(f.ctx, mint.HashToken(code))
	if g, _, err := f.st.GrantChain(f.ctx, stored.GrantID); err != nil || !g.Revoked() {
		t.Fatalf("grant %q after the replay: %+v, %v; want a revoked tombstone", stored.GrantID, g, err)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "outcome=tombstoned") {
		t.Errorf("log does not say the grant was tombstoned:\n%s", logs)
	}
}

// Concurrent redemptions of one code by its own client: the code is used
// more than once, so whatever one of them got is revoked in the end.
func TestConcurrentRedemptionsLeaveNothingUsable(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	const n = 8
	resps := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if resp, err := f.redeem("app", code); err == nil {
				resps[i] = resp.RefreshToken
			}
		})
	}
	wg.Wait()
	won := 0
	for _, rt := range resps {
		if rt == "" {
			continue
		}
		won++
		if _, err := f.refresh("app", rt); err == nil {
			t.Fatal("a refresh token from a code redeemed twice still works")
		}
	}
	if won > 1 {
		t.Fatalf("%d redemptions of one code succeeded", won)
	}
}

// TestCodeExpiresAtItsExpiry lands on the boundary: at ExpiresAt exactly
// the code is expired, a nanosecond before it is not.
func TestCodeExpiresAtItsExpiry(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	stored, err := f.st.AuthCode(f.ctx, mint.HashToken(code))
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Set(stored.ExpiresAt)
	_, err = f.redeem("app", code)
	if e := wantOAuth(t, err, oautherr.InvalidGrant); !strings.Contains(e.Description, "expired") {
		t.Fatalf("at expiry: %q", e.Description)
	}
	f.clk.Set(stored.ExpiresAt.Add(-time.Nanosecond))
	if _, err := f.redeem("app", code); err != nil {
		t.Fatalf("a nanosecond before expiry: %v", err)
	}
}

// A user disabled (or removed) after the code was issued gets nothing for
// it, and the refusal does not consume the code.
func TestCodeForAUserDisabledSinceItWasIssued(t *testing.T) {
	f := newFixture(t)
	code := f.newCode(nil)
	f.user("alice").Disabled = true
	_, err := f.redeem("app", code)
	wantOAuth(t, err, oautherr.InvalidGrant)
	f.user("alice").Disabled = false
	if _, err := f.redeem("app", code); err != nil {
		t.Fatalf("redeem once enabled again: %v", err)
	}
	ghost := f.newCode(func(c *store.AuthCode) { c.Subject = "sub-removed" })
	_, err = f.redeem("app", ghost)
	wantOAuth(t, err, oautherr.InvalidGrant)
}
