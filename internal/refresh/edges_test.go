package refresh_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// storedExpiry is a token's idle expiry as the store holds it.
func storedExpiry(t *testing.T, f *fixture, tok string) time.Time {
	t.Helper()
	rt, _, err := f.st.RefreshToken(f.ctx, mint.ClaimedGrantID(tok), mint.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	return rt.ExpiresAt
}

// TestIdleLifetimeEdges lands on the boundary as stored: a token is expired
// at exactly its ExpiresAt and usable a nanosecond before. The clock starts
// off the microsecond grid the stores keep, so rounding cannot move the
// boundary away from where the test puts the clock.
func TestIdleLifetimeEdges(t *testing.T) {
	f := newFixture(t)
	f.clk.Add(700 * time.Nanosecond)
	first := f.issue(t, oneTime)
	exp := storedExpiry(t, f, first.Token)
	if !first.ExpiresAt.Equal(exp) {
		t.Fatalf("handed out expiry %v, stored %v", first.ExpiresAt, exp)
	}
	f.clk.Set(exp.Add(-time.Nanosecond))
	next := mustRefresh(t, f, first.Token, oneTime)

	exp = storedExpiry(t, f, next.Token)
	if !next.ExpiresAt.Equal(exp) {
		t.Fatalf("successor: handed out expiry %v, stored %v", next.ExpiresAt, exp)
	}
	f.clk.Set(exp)
	_, err := f.refresh(next.Token, oneTime)
	wantErr(t, err, refresh.ErrExpired)
	if _, err := f.svc.Inspect(f.ctx, next.Token); !errors.Is(err, refresh.ErrExpired) {
		t.Fatalf("Inspect at expiry: %v, want ErrExpired", err)
	}
	// The refusal consumed nothing: a nanosecond earlier it still works.
	f.clk.Set(exp.Add(-time.Nanosecond))
	mustRefresh(t, f, next.Token, oneTime)
}

// TestRetryWithinGraceRunsTheCheck: a retry of a just-rotated token gets
// its successor only if the caller's check (user still active, client still
// allowed) passes now; a refusal changes nothing.
func TestRetryWithinGraceRunsTheCheck(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	next := mustRefresh(t, f, first.Token, oneTime)
	f.clk.Add(oneTime.ReuseGrace / 2)
	disabled := errors.New("user disabled")
	_, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{}, oneTime, func(store.Grant) error { return disabled })
	wantErr(t, err, disabled)
	// Not taken for reuse: the grant is live and the retry still works once the check passes.
	again := mustRefresh(t, f, first.Token, oneTime)
	if again.Token != next.Token || !again.Retried {
		t.Fatalf("retry after a refused retry: %q (retried=%v), want %q", again.Token, again.Retried, next.Token)
	}
	// The audit log counts the retry, by ids only.
	logs := f.logs.String()
	if n := strings.Count(logs, "event=refresh_token_retry "); n != 1 {
		t.Errorf("audit log has %d retry events, want 1 (the refused retry issued nothing):\n%s", n, logs)
	}
	if strings.Contains(logs, first.Token) || strings.Contains(logs, next.Token) {
		t.Fatal("the audit log holds a token")
	}
}

// TestWrongClientIsLoggedNotConfirmed: the lifecycle reports ErrWrongClient
// (the token endpoint answers it like an unknown token) and the audit log
// keeps who presented whose token, without the token.
func TestWrongClientIsLoggedNotConfirmed(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	_, err := f.svc.Refresh(f.ctx, first.Token, "intruder", refresh.Proof{}, oneTime, nil)
	wantErr(t, err, refresh.ErrWrongClient)
	logs := f.logs.String()
	for _, want := range []string{"event=refresh_token_wrong_client", "client_id=app", "presented_by=intruder", "grant_id=" + first.Grant.ID} {
		if !strings.Contains(logs, want) {
			t.Errorf("audit log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, first.Token) {
		t.Fatal("the audit log holds the token")
	}
	mustRefresh(t, f, first.Token, oneTime)
}

// TestReplayedCodeBeforeTheGrantExists: the code exchange's replay lands
// before the first redemption created its grant. The tombstone makes that
// Issue fail with ErrRevoked, so nothing is issued.
func TestReplayedCodeBeforeTheGrantExists(t *testing.T) {
	f := newFixture(t)
	id := refresh.NewGrantID()
	out, err := f.svc.RevokeReplayed(f.ctx, id, "app", "alice", oneTime)
	if err != nil || out != store.Tombstoned {
		t.Fatalf("RevokeReplayed(no grant yet) = %v, %v; want tombstoned", out, err)
	}
	_, err = f.svc.Issue(f.ctx, store.Grant{ID: id, ClientID: "app", Subject: "alice"}, refresh.Proof{}, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	if !strings.Contains(f.logs.String(), "outcome=tombstoned") {
		t.Errorf("audit log does not say the grant was tombstoned:\n%s", f.logs.String())
	}
	// Without a preset id, Issue never meets a tombstone.
	f.issue(t, oneTime)
}

// TestReplayedCodeAfterTheGrantExists revokes the whole family at once.
func TestReplayedCodeAfterTheGrantExists(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	next := mustRefresh(t, f, first.Token, oneTime)
	out, err := f.svc.RevokeReplayed(f.ctx, first.Grant.ID, "app", "alice", oneTime)
	if err != nil || out != store.Revoked {
		t.Fatalf("RevokeReplayed(live grant) = %v, %v; want revoked", out, err)
	}
	_, err = f.refresh(next.Token, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	if out, err := f.svc.RevokeReplayed(f.ctx, first.Grant.ID, "app", "alice", oneTime); err != nil || out != store.AlreadyRevoked {
		t.Fatalf("second RevokeReplayed = %v, %v; want already revoked", out, err)
	}
}
