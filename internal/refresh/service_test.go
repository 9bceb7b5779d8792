package refresh_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
	"github.com/tollgate-oidc/tollgate/internal/testlog"
)

// clock is the injected clock the tests move by hand.
type clock = testclock.Clock

// testKeys are the fixture's refresh keys, from a fixed system secret.
var testKeys = mint.NewRefreshKeys([]byte("0123456789abcdef0123456789abcdef"))

var oneTime = refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: 24 * time.Hour, MaxLifetime: 72 * time.Hour, ReuseGrace: time.Minute}

type fixture struct {
	st   *memstore.Store
	clk  *clock
	svc  *refresh.Service
	ctx  context.Context
	logs *syncBuffer // the audit log
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := testclock.At(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st := memstore.New()
	logs := &syncBuffer{}
	audit := slog.New(slog.NewTextHandler(logs, nil))
	return &fixture{st: st, clk: clk, svc: refresh.New(st, testKeys, clk.Now, audit),
		ctx: context.Background(), logs: logs}
}

// syncBuffer collects the log lines of the code under test.
type syncBuffer = testlog.Buffer

func (f *fixture) issue(t *testing.T, p refresh.Policy) refresh.Issued {
	t.Helper()
	iss, err := f.svc.Issue(f.ctx, store.Grant{ClientID: "app", Subject: "alice", Scopes: []string{"openid", "offline_access"}, AuthTime: f.clk.Now()}, refresh.Proof{}, p)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func (f *fixture) refresh(tok string, p refresh.Policy) (refresh.Issued, error) {
	return f.svc.Refresh(f.ctx, tok, "app", refresh.Proof{}, p, nil)
}

func mustRefresh(t *testing.T, f *fixture, tok string, p refresh.Policy) refresh.Issued {
	t.Helper()
	iss, err := f.refresh(tok, p)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return iss
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func TestOneTimeRotationConsumesTheOldToken(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	if form, name := testKeys.Open(first.Token); form != mint.NamedRefresh || name != (mint.RefreshName{GrantID: first.Grant.ID}) {
		t.Fatalf("issued token %q does not name generation 0 of grant %s", first.Token, first.Grant.ID)
	}
	next := mustRefresh(t, f, first.Token, oneTime)
	if next.Token == first.Token {
		t.Fatal("one_time rotation returned the same token")
	}
	if want := f.clk.Now().Add(oneTime.IdleLifetime); !next.ExpiresAt.Equal(want) {
		t.Fatalf("successor expires %v, want %v", next.ExpiresAt, want)
	}
	old, _, err := f.st.RefreshToken(f.ctx, mint.ClaimedGrantID(first.Token), mint.HashToken(first.Token))
	if err != nil || !old.Consumed() || old.SuccessorHash != mint.HashToken(next.Token) {
		t.Fatalf("old token not consumed with successor: %+v, %v", old, err)
	}
	mustRefresh(t, f, next.Token, oneTime)
}

func TestRetryWithinGraceGetsTheSameSuccessor(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	next := mustRefresh(t, f, first.Token, oneTime)
	f.clk.Add(oneTime.ReuseGrace) // the window is inclusive at its end
	again := mustRefresh(t, f, first.Token, oneTime)
	if again.Token != next.Token || !again.Retried {
		t.Fatalf("retry got %q (retried=%v), want the successor %q", again.Token, again.Retried, next.Token)
	}
	// The successor still works, once.
	mustRefresh(t, f, next.Token, oneTime)
}

func TestReplayAfterGraceRevokesTheGrant(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	next := mustRefresh(t, f, first.Token, oneTime)
	f.clk.Add(oneTime.ReuseGrace + time.Microsecond) // the smallest step the store keeps
	_, err := f.refresh(first.Token, oneTime)
	wantErr(t, err, refresh.ErrReused)
	_, err = f.refresh(next.Token, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	g, _, _ := f.st.GrantChain(f.ctx, first.Grant.ID)
	if !g.Revoked() {
		t.Fatal("grant not revoked after reuse")
	}
}

func TestReplayAfterSuccessorWasUsedRevokesTheGrant(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	next := mustRefresh(t, f, first.Token, oneTime)
	third := mustRefresh(t, f, next.Token, oneTime)
	// Within the grace window, but the successor has been used: theft.
	_, err := f.refresh(first.Token, oneTime)
	wantErr(t, err, refresh.ErrReused)
	_, err = f.refresh(third.Token, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
}

func TestNoGraceMeansAnyReplayIsReuse(t *testing.T) {
	f := newFixture(t)
	p := oneTime
	p.ReuseGrace = 0
	first := f.issue(t, p)
	mustRefresh(t, f, first.Token, p)
	_, err := f.refresh(first.Token, p)
	wantErr(t, err, refresh.ErrReused)
}

func TestMaxLifetimeIsNeverExtended(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	capAt := first.Grant.ExpiresAt
	tok := first.Token
	for f.clk.Now().Add(oneTime.IdleLifetime / 2).Before(capAt) {
		f.clk.Add(oneTime.IdleLifetime / 2)
		iss := mustRefresh(t, f, tok, oneTime)
		if iss.ExpiresAt.After(capAt) {
			t.Fatalf("token expires %v, after the grant's cap %v", iss.ExpiresAt, capAt)
		}
		tok = iss.Token
	}
	f.clk.Set(capAt)
	_, err := f.refresh(tok, oneTime)
	wantErr(t, err, refresh.ErrExpired)
}

func TestReuseRotationKeepsTheTokenAndSlides(t *testing.T) {
	f := newFixture(t)
	p := oneTime
	p.Rotation = config.RotationReuse
	first := f.issue(t, p)
	f.clk.Add(20 * time.Hour)
	again := mustRefresh(t, f, first.Token, p)
	if again.Token != first.Token {
		t.Fatal("reuse rotation changed the token")
	}
	if want := f.clk.Now().Add(p.IdleLifetime); !again.ExpiresAt.Equal(want) {
		t.Fatalf("expiry %v, want slid to %v", again.ExpiresAt, want)
	}
	f.clk.Add(20 * time.Hour) // past the first idle window, within the slid one
	mustRefresh(t, f, first.Token, p)
	f.clk.Add(40 * time.Hour) // past the 72 h cap
	_, err := f.refresh(first.Token, p)
	wantErr(t, err, refresh.ErrExpired)
}

func TestWrongClientAndGarbage(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	_, err := f.svc.Refresh(f.ctx, first.Token, "other", refresh.Proof{}, oneTime, nil)
	wantErr(t, err, refresh.ErrWrongClient)
	for _, tok := range []string{"", "x", mint.RefreshPrefix, mint.NewLegacyRefreshToken(), first.Token + "x", "tgrt_" + string(make([]byte, 43))} {
		_, err := f.refresh(tok, oneTime)
		wantErr(t, err, refresh.ErrUnknown)
	}
	// The rightful client still can: nothing above consumed the token.
	mustRefresh(t, f, first.Token, oneTime)
}

func TestCheckRefusesWithoutConsuming(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	stop := errors.New("user disabled")
	_, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{}, oneTime, func(store.Grant) error { return stop })
	wantErr(t, err, stop)
	mustRefresh(t, f, first.Token, oneTime)
}

func TestRevokeStopsTheFamily(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	next := mustRefresh(t, f, first.Token, oneTime)
	if _, err := f.svc.Inspect(f.ctx, next.Token); err != nil {
		t.Fatalf("inspect live token: %v", err)
	}
	if ok, err := f.svc.Revoke(f.ctx, next.Token, "other"); ok || err != nil {
		t.Fatalf("another client revoked: %v %v", ok, err)
	}
	if ok, err := f.svc.Revoke(f.ctx, next.Token, "app"); !ok || err != nil {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	_, err := f.refresh(next.Token, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	_, err = f.svc.Inspect(f.ctx, next.Token)
	wantErr(t, err, refresh.ErrRevoked)
}

func TestRevokeMatching(t *testing.T) {
	f := newFixture(t)
	a, b := f.issue(t, oneTime), f.issue(t, oneTime)
	n, err := f.svc.RevokeMatching(f.ctx, store.GrantFilter{Subject: "alice"})
	if err != nil || n != 2 {
		t.Fatalf("revoked %d, %v; want 2", n, err)
	}
	for _, tok := range []string{a.Token, b.Token} {
		_, err := f.refresh(tok, oneTime)
		wantErr(t, err, refresh.ErrRevoked)
	}
	if _, err := f.svc.RevokeMatching(f.ctx, store.GrantFilter{}); err == nil {
		t.Fatal("an empty filter revoked everything")
	}
}

// TestConcurrentPresentations: N racing presentations of one token never
// produce two live successors; within the grace window they all get the one.
func TestConcurrentPresentations(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	const n = 50
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			iss, err := f.refresh(first.Token, oneTime)
			got[i], errs[i] = iss.Token, err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("presentation %d: %q, %v; want the one successor %q", i, got[i], errs[i], got[0])
		}
	}
	// Exactly one live successor: it works once, the first token is consumed.
	mustRefresh(t, f, got[0], oneTime)
}
