package refresh_test

import (
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// revocations records what the lifecycle told its observer.
type revocations map[string]int

func (r revocations) GrantsRevoked(source string, n int) { r[source] += n }

// TestOutcomeOfEachDecision: every way a refresh ends is one outcome, and
// the two expiries are told apart.
func TestOutcomeOfEachDecision(t *testing.T) {
	f := newFixture(t)
	outcome := func(tok string) refresh.Outcome {
		t.Helper()
		iss, err := f.refresh(tok, oneTime)
		return refresh.OutcomeOf(iss, err)
	}
	check := func(what string, got, want refresh.Outcome) {
		t.Helper()
		if got != want {
			t.Errorf("%s: outcome %s, want %s", what, got, want)
		}
	}
	a := f.issue(t, oneTime)
	next := mustRefresh(t, f, a.Token, oneTime)
	check("a retry within grace", outcome(a.Token), refresh.OutcomeRetried)
	check("a rotation", outcome(next.Token), refresh.OutcomeOK)
	check("garbage", outcome("not-a-token"), refresh.OutcomeUnknown)
	_, err := f.svc.Refresh(f.ctx, a.Token, "other", refresh.Proof{}, oneTime, nil)
	check("another client", refresh.OutcomeOf(refresh.Issued{}, err), refresh.OutcomeWrongClient)

	// Idle: unused for longer than the idle lifetime, grant within its cap.
	b := f.issue(t, oneTime)
	f.clk.Add(oneTime.IdleLifetime)
	check("past the idle lifetime", outcome(b.Token), refresh.OutcomeExpiredIdle)

	// Max: refreshed within every idle window until the grant's cap.
	c := f.issue(t, oneTime)
	tok := c.Token
	for f.clk.Now().Add(oneTime.IdleLifetime / 2).Before(c.Grant.ExpiresAt) {
		f.clk.Add(oneTime.IdleLifetime / 2)
		tok = mustRefresh(t, f, tok, oneTime).Token
	}
	f.clk.Set(c.Grant.ExpiresAt)
	check("at the grant's cap", outcome(tok), refresh.OutcomeExpiredMax)

	d := f.issue(t, oneTime)
	if _, err := f.svc.RevokeGrant(f.ctx, d.Grant.ID, refresh.ByOperator); err != nil {
		t.Fatal(err)
	}
	check("a revoked grant", outcome(d.Token), refresh.OutcomeRevoked)

	e := f.issue(t, oneTime)
	mustRefresh(t, f, e.Token, oneTime)
	f.clk.Add(oneTime.ReuseGrace + time.Second)
	check("a consumed token after grace", outcome(e.Token), refresh.OutcomeReused)
}

// TestObserverHearsRevocationsBySource: each revocation that commits is
// told once with its source; one that changes nothing is not told.
func TestObserverHearsRevocationsBySource(t *testing.T) {
	f := newFixture(t)
	seen := revocations{}
	f.svc.SetObserver(seen)

	a := f.issue(t, oneTime)
	if ok, err := f.svc.Revoke(f.ctx, a.Token, "app"); err != nil || !ok {
		t.Fatalf("Revoke = %v, %v", ok, err)
	}
	// Again: already revoked, nothing to count.
	if _, err := f.svc.Revoke(f.ctx, a.Token, "app"); err != nil {
		t.Fatal(err)
	}
	b := f.issue(t, oneTime)
	mustRefresh(t, f, b.Token, oneTime)
	f.clk.Add(oneTime.ReuseGrace + time.Second)
	if _, err := f.refresh(b.Token, oneTime); err == nil {
		t.Fatal("reuse after grace was accepted")
	}
	// The same reused token again: the grant is already revoked.
	_, _ = f.refresh(b.Token, oneTime)
	f.issue(t, oneTime)
	f.issue(t, oneTime)
	if n, err := f.svc.RevokeMatchingBy(f.ctx, store.GrantFilter{ClientID: "app"}, refresh.ByLogout); err != nil || n != 2 {
		t.Fatalf("RevokeMatchingBy = %d, %v; want 2", n, err)
	}
	c := f.issue(t, oneTime)
	if _, err := f.svc.RevokeGrant(f.ctx, c.Grant.ID, refresh.ByOperator); err != nil {
		t.Fatal(err)
	}
	want := revocations{refresh.ByClient: 1, refresh.ByReuse: 1, refresh.ByLogout: 2, refresh.ByOperator: 1}
	if len(seen) != len(want) {
		t.Errorf("observer heard %v, want %v", seen, want)
	}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("observer heard %d revocations by %s, want %d (all: %v)", seen[k], k, n, seen)
		}
	}
}
