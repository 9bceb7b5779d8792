package refresh_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// heard records what the lifecycle told its notifier.
type heard struct {
	mu  sync.Mutex
	got []refresh.Revocation
}

func (h *heard) GrantRevoked(_ context.Context, r refresh.Revocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, r)
}

func (h *heard) list() []refresh.Revocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]refresh.Revocation(nil), h.got...)
}

// theftFixture is a fixture whose service tells a notifier, and whose grant
// was issued to a request that proved first (DPoP-bound to jkt when set).
func theftFixture(t *testing.T, jkt string, first refresh.Proof) (*fixture, *heard, refresh.Issued) {
	t.Helper()
	f := newFixture(t)
	h := &heard{}
	f.svc.SetNotifier(h)
	iss, err := f.svc.Issue(f.ctx, store.Grant{ClientID: "app", Subject: "alice", SessionID: "sid-1",
		Scopes: []string{"openid", "offline_access"}, AuthTime: f.clk.Now(), DPoPJKT: jkt}, first, oneTime)
	if err != nil {
		t.Fatal(err)
	}
	return f, h, iss
}

func (f *fixture) refreshProving(tok string, proof refresh.Proof) (refresh.Issued, error) {
	return f.svc.Refresh(f.ctx, tok, "app", proof, oneTime, nil)
}

// wantVerdict checks a revocation: the error, the grant revoked, one audit
// line with the event and signal, the notifier told once with the signal,
// and no token value anywhere in the log.
func wantVerdict(t *testing.T, f *fixture, h *heard, grantID string, err, want error, event string, sig refresh.Signal, tokens ...string) {
	t.Helper()
	wantErr(t, err, want)
	wantRevoked(t, f, grantID, true)
	wantLog(t, f, "event="+event, "signal="+string(sig), "grant_id="+grantID)
	if n := strings.Count(f.logs.String(), "signal="); n != 1 {
		t.Errorf("%d revocation lines, want 1:\n%s", n, f.logs.String())
	}
	got := h.list()
	if len(got) != 1 || got[0].Signal != sig || got[0].Grant.ID != grantID || got[0].Theft() != sig.Theft() ||
		!got[0].At.Equal(f.clk.Now().Truncate(time.Microsecond)) || got[0].Grant.SessionID != "sid-1" {
		t.Errorf("notifier heard %+v, want one revocation of %s for %s", got, grantID, sig)
	}
	for _, tok := range tokens {
		if strings.Contains(f.logs.String(), tok) {
			t.Fatal("the audit log holds a token")
		}
	}
}

// A DPoP-bound grant's retry within grace must prove the grant's key: with
// it, the client gets the same successor and nobody is told anything;
// without a proof, or with a proof by another key, it is theft.
func TestBoundGrantRetryNeedsTheGrantsKey(t *testing.T) {
	key := refresh.Proof{DPoPJKT: "jkt-a"}
	for _, c := range []struct {
		name  string
		proof refresh.Proof
		sig   refresh.Signal
	}{
		{"no proof", refresh.Proof{}, refresh.SignalDPoPProofMissing},
		{"no proof, the client's assertion key", refresh.Proof{ClientKey: "ck-1"}, refresh.SignalDPoPProofMissing},
		{"another DPoP key", refresh.Proof{DPoPJKT: "jkt-thief"}, refresh.SignalDPoPKeyMismatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, h, first := theftFixture(t, "jkt-a", key)
			next, err := f.refreshProving(first.Token, key)
			if err != nil {
				t.Fatal(err)
			}
			f.clk.Add(oneTime.ReuseGrace / 2)
			again, err := f.refreshProving(first.Token, key)
			if err != nil || again.Token != next.Token || !again.Retried {
				t.Fatalf("retry with the grant's key: %v (retried=%v, same=%v)", err, again.Retried, again.Token == next.Token)
			}
			if len(h.list()) != 0 {
				t.Fatal("a retry was notified")
			}
			_, err = f.refreshProving(first.Token, c.proof)
			wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrStolen, "refresh_token_theft", c.sig, first.Token, next.Token)
			_, err = f.refreshProving(next.Token, key)
			wantErr(t, err, refresh.ErrRevoked)
		})
	}
}

// An unbound grant: a retry proves the key the first presentation proved
// a moment before (recorded on its successor), or it is theft.
func TestRetryMustProveTheKeyProvedAMomentBefore(t *testing.T) {
	for _, c := range []struct {
		name         string
		first, retry refresh.Proof
		sig          refresh.Signal // "" for a genuine retry
	}{
		{"same assertion key", refresh.Proof{ClientKey: "ck-1"}, refresh.Proof{ClientKey: "ck-1"}, ""},
		{"same DPoP key", refresh.Proof{DPoPJKT: "jkt-a", ClientKey: "ck-1"}, refresh.Proof{DPoPJKT: "jkt-a", ClientKey: "ck-1"}, ""},
		{"no key either time", refresh.Proof{}, refresh.Proof{}, ""},
		{"a key now, none before (an earlier build's successor)", refresh.Proof{}, refresh.Proof{ClientKey: "ck-1"}, ""},
		{"another assertion key", refresh.Proof{ClientKey: "ck-1"}, refresh.Proof{ClientKey: "ck-thief"}, refresh.SignalClientKeyMismatch},
		{"another DPoP key", refresh.Proof{DPoPJKT: "jkt-a"}, refresh.Proof{DPoPJKT: "jkt-thief"}, refresh.SignalDPoPKeyMismatch},
		{"the assertion key without the DPoP key", refresh.Proof{DPoPJKT: "jkt-a", ClientKey: "ck-1"}, refresh.Proof{ClientKey: "ck-1"}, refresh.SignalClientKeyMismatch},
		{"no key where one was proved", refresh.Proof{ClientKey: "ck-1"}, refresh.Proof{}, refresh.SignalProofKeyMissing},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, h, first := theftFixture(t, "", refresh.Proof{})
			next, err := f.refreshProving(first.Token, c.first)
			if err != nil {
				t.Fatal(err)
			}
			f.clk.Add(oneTime.ReuseGrace) // the window is inclusive at its end
			again, err := f.refreshProving(first.Token, c.retry)
			if c.sig == "" {
				if err != nil || again.Token != next.Token || !again.Retried {
					t.Fatalf("retry: %v (retried=%v, same=%v)", err, again.Retried, again.Token == next.Token)
				}
				wantRevoked(t, f, first.Grant.ID, false)
				if len(h.list()) != 0 {
					t.Fatal("a retry was notified")
				}
				return
			}
			wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrStolen, "refresh_token_theft", c.sig, first.Token, next.Token)
		})
	}
}

// Outside the grace window a consumed token is reuse whatever it proves,
// the grant's own key included; inside it, a used or expired successor
// makes it reuse too. Each names its signal.
func TestReuseSignals(t *testing.T) {
	key := refresh.Proof{DPoPJKT: "jkt-a"}
	t.Run("outside grace, with the grant's key", func(t *testing.T) {
		f, h, first := theftFixture(t, "jkt-a", key)
		next, _ := f.refreshProving(first.Token, key)
		f.clk.Add(oneTime.ReuseGrace + time.Microsecond)
		_, err := f.refreshProving(first.Token, key)
		wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrReused, "refresh_token_reuse", refresh.SignalOutsideGrace, first.Token, next.Token)
	})
	t.Run("no grace configured", func(t *testing.T) {
		f, h, first := theftFixture(t, "", refresh.Proof{})
		p := oneTime
		p.ReuseGrace = 0
		if _, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{}, p, nil); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{}, p, nil)
		wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrReused, "refresh_token_reuse", refresh.SignalOutsideGrace)
	})
	t.Run("successor used, with the same key", func(t *testing.T) {
		f, h, first := theftFixture(t, "", refresh.Proof{})
		next, _ := f.refreshProving(first.Token, refresh.Proof{ClientKey: "ck-1"})
		if _, err := f.refreshProving(next.Token, refresh.Proof{ClientKey: "ck-1"}); err != nil {
			t.Fatal(err)
		}
		_, err := f.refreshProving(first.Token, refresh.Proof{ClientKey: "ck-1"})
		wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrReused, "refresh_token_reuse", refresh.SignalSuccessorUsed)
	})
	t.Run("successor expired inside the window", func(t *testing.T) {
		f, h, first := theftFixture(t, "", refresh.Proof{})
		p := oneTime
		p.IdleLifetime = oneTime.ReuseGrace / 2
		if _, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{}, p, nil); err != nil {
			t.Fatal(err)
		}
		f.clk.Add(p.IdleLifetime)
		_, err := f.svc.Refresh(f.ctx, first.Token, "app", refresh.Proof{}, p, nil)
		wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrReused, "refresh_token_reuse", refresh.SignalSuccessorExpired)
	})
}

// The janitor swept the consumed token's row (its idle expiry fell inside
// the grace window): rebuilt from its successor's row, the same keys
// decide. A theft is still theft, and a token two generations back, whose
// successor's row is gone too, is reuse.
func TestTheftAfterTheJanitorSweptTheRow(t *testing.T) {
	f, h, first := theftFixture(t, "", refresh.Proof{})
	f.clk.Set(first.ExpiresAt.Add(-time.Second))
	if _, err := f.refreshProving(first.Token, refresh.Proof{ClientKey: "ck-1"}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(2 * time.Second)
	if _, err := f.st.DeleteExpired(f.ctx, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	wantRow(t, f, first.Token, false)
	_, err := f.refreshProving(first.Token, refresh.Proof{ClientKey: "ck-thief"})
	wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrStolen, "refresh_token_theft", refresh.SignalClientKeyMismatch)
	wantLog(t, f, "row_gone=true")

	f, h, first = theftFixture(t, "", refresh.Proof{})
	chain := rotateN(t, f, first.Token, 2)
	_, err = f.refreshProving(chain[0], refresh.Proof{})
	wantVerdict(t, f, h, first.Grant.ID, err, refresh.ErrReused, "refresh_token_reuse", refresh.SignalSuccessorUsed)
	wantLog(t, f, "row_gone=true")
}

// Two requests race with the same token of an unbound grant: the client's
// and a thief's, authenticated by another of the client's assertion keys.
// Whichever rotates first, the other is judged against the key it proved
// (through rotate's lost race, or the consumed path), exactly one is
// answered ErrStolen, and the grant is revoked once, the notifier told
// once. (A DPoP-bound grant's live token is refused to the thief before it
// can rotate: binding.go.)
func TestConcurrentThiefIsCaught(t *testing.T) {
	f, h, first := theftFixture(t, "", refresh.Proof{ClientKey: "ck-1"})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []refresh.Proof{{ClientKey: "ck-1"}, {ClientKey: "ck-thief"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.refreshProving(first.Token, p)
		}()
	}
	wg.Wait()
	if errors.Is(errs[0], refresh.ErrStolen) == errors.Is(errs[1], refresh.ErrStolen) {
		t.Fatalf("errors %v, %v: want exactly one ErrStolen", errs[0], errs[1])
	}
	wantRevoked(t, f, first.Grant.ID, true)
	if got := h.list(); len(got) != 1 || got[0].Signal != refresh.SignalClientKeyMismatch {
		t.Fatalf("notifier heard %+v", got)
	}
}

// A grant already revoked is not revoked, logged or notified again.
func TestNotifiedOnce(t *testing.T) {
	f, h, first := theftFixture(t, "", refresh.Proof{})
	mustRefresh(t, f, first.Token, oneTime)
	f.clk.Add(oneTime.ReuseGrace + time.Second)
	_, err := f.refresh(first.Token, oneTime)
	wantErr(t, err, refresh.ErrReused)
	_, err = f.refresh(first.Token, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	if n := len(h.list()); n != 1 {
		t.Fatalf("notified %d times, want 1", n)
	}
}
