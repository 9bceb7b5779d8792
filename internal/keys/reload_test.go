package keys

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// clock is the injected clock the tests move by hand.
type clock = testclock.Clock

// twoNodes opens two Sets over one store, as two nodes of a cluster do.
func twoNodes(t *testing.T) (st *memStore, a, b *Set, clk *clock) {
	t.Helper()
	st = seeded(t)
	clk = testclock.At(t0)
	var err error
	if a, err = Open(context.Background(), st, secret, Options{Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	if b, err = Open(context.Background(), st, secret, Options{Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	return st, a, b, clk
}

// addKey stores a new ES256 key, as a node that rotates keys would.
func addKey(t *testing.T, st *memStore, kid string, created time.Time) {
	t.Helper()
	s, err := newSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	row, err := newKey("ES256", kid, s, created)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSigningKey(context.Background(), row, store.Event{}); err != nil {
		t.Fatal(err)
	}
}

// TestUnknownKidReloads: a kid added through the store by another node is
// found by this one the first time it meets it, and published in its JWKS.
func TestUnknownKidReloads(t *testing.T) {
	st, a, b, clk := twoNodes(t)
	addKey(t, st, "es256-added-by-a", t0.Add(time.Hour))
	if err := a.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour) // the key activates when it was created
	if kid := signingKID(t, a, "ES256"); kid != "es256-added-by-a" {
		t.Fatalf("node a signs with %q after its reload", kid)
	}
	if strings.Contains(string(b.JWKSJSON()), "es256-added-by-a") {
		t.Fatal("node b knew the key before meeting it: the test shows nothing")
	}
	if _, ok := b.PublicKey("es256-added-by-a"); !ok {
		t.Fatal("node b does not find a kid that is in the store")
	}
	if !strings.Contains(string(b.JWKSJSON()), "es256-added-by-a") {
		t.Error("node b found the key but does not publish it")
	}
}

// TestUnknownKidReloadIsPaced: junk kids cost one store read per gap, not
// one per request; a kid that is too long to be anyone's costs none.
func TestUnknownKidReloadIsPaced(t *testing.T) {
	st, _, b, clk := twoNodes(t)
	before := st.readCount()
	for range 100 {
		if _, ok := b.PublicKey("junk"); ok {
			t.Fatal("junk kid found")
		}
	}
	if n := st.readCount() - before; n != 1 {
		t.Fatalf("100 junk kids read the store %d times, want 1", n)
	}
	clk.Add(DefaultReloadGap - time.Millisecond)
	b.PublicKey("junk")
	if n := st.readCount() - before; n != 1 {
		t.Fatalf("a junk kid within the gap read the store (%d reads)", n)
	}
	clk.Add(time.Millisecond)
	b.PublicKey("junk")
	if n := st.readCount() - before; n != 2 {
		t.Fatalf("after the gap: %d reads, want 2", n)
	}
	clk.Add(time.Hour)
	b.PublicKey(strings.Repeat("x", 129))
	b.PublicKey("")
	if n := st.readCount() - before; n != 2 {
		t.Fatalf("an empty or overlong kid read the store (%d reads)", n)
	}
}

// TestConcurrentMissesShareOneReload: many requests meeting the same new
// kid at once wait for one store read, and all find the key.
func TestConcurrentMissesShareOneReload(t *testing.T) {
	st, _, b, _ := twoNodes(t)
	addKey(t, st, "es256-new", t0.Add(time.Hour))
	gate := make(chan struct{})
	st.set(func(m *memStore) { m.gate = gate })
	before := st.readCount()
	const n = 20
	found := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, found[i] = b.PublicKey("es256-new") })
	}
	// Let the goroutines pile up on the one reload, then let it finish.
	for st.readCount() == before {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	st.set(func(m *memStore) { m.gate = nil })
	close(gate)
	wg.Wait()
	for i, ok := range found {
		if !ok {
			t.Fatalf("request %d did not find the new kid", i)
		}
	}
	if got := st.readCount() - before; got != 1 {
		t.Errorf("%d concurrent misses read the store %d times, want 1", n, got)
	}
}

// TestScheduledReloadPublishes: without any miss, Run picks up a key added
// by another node on its next tick.
func TestScheduledReloadPublishes(t *testing.T) {
	st, _, b, clk := twoNodes(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	addKey(t, st, "es256-scheduled", t0.Add(time.Hour))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(string(b.JWKSJSON()), "es256-scheduled") {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled reload never published the new key")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Published, but created (and so activating) an hour ahead.
	if kid := signingKID(t, b, "ES256"); kid == "es256-scheduled" {
		t.Errorf("node b signs with %q before its activation time", kid)
	}
	clk.Add(time.Hour)
	if kid := signingKID(t, b, "ES256"); kid != "es256-scheduled" {
		t.Errorf("after the reload node b signs with %q, want the newest key", kid)
	}
}

// TestFailedReloadKeepsKeys: a store that fails, or answers with fewer
// keys than are in use, changes nothing.
func TestFailedReloadKeepsKeys(t *testing.T) {
	st, _, b, _ := twoNodes(t)
	before := string(b.JWKSJSON())
	st.set(func(m *memStore) { m.readErr = errors.New("connection refused") })
	if err := b.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Reload = %v", err)
	}
	st.set(func(m *memStore) { m.readErr = nil; m.rows = m.rows[:1] })
	if err := b.Reload(context.Background()); !errors.Is(err, ErrKeptMissing) || !strings.Contains(err.Error(), "no longer holds") {
		t.Fatalf("Reload of a store missing a key = %v", err)
	}
	// A node with another system secret (a misconfigured one) added a key
	// this node cannot open: the reload fails and changes nothing.
	st.set(func(m *memStore) { m.rows = seeded(t).rows })
	other, err := newSealer([]byte("another-system-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := newKey("ES256", "es256-foreign", other, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddSigningKey(context.Background(), foreign, store.Event{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(context.Background()); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Reload with a foreign key = %v, want ErrUnseal", err)
	}
	if string(b.JWKSJSON()) != before || !b.Ready() {
		t.Error("a failed reload changed the keys in use")
	}
	for _, alg := range Algorithms {
		if _, err := b.JWSSigner(alg, ""); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

// TestReloadUnderReaders: signing and verifying go on, race-free, while the
// set is swapped (run with -race).
func TestReloadUnderReaders(t *testing.T) {
	st, _, b, _ := twoNodes(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				signer, err := b.JWSSigner("ES256", "at+jwt")
				if err != nil {
					t.Error(err)
					return
				}
				tok, err := signer.Sign([]byte("x"))
				if err != nil {
					t.Error(err)
					return
				}
				pub, ok := b.PublicKey(signer.KeyID())
				if !ok {
					t.Errorf("kid %q of the signer is not published", signer.KeyID())
					return
				}
				if _, err := verifyCompact(tok, pub); err != nil {
					t.Error(err)
					return
				}
				_ = b.JWKSJSON()
			}
		})
	}
	for i := range 5 {
		addKey(t, st, "es256-r"+string(rune('a'+i)), t0.Add(time.Duration(i+1)*time.Hour))
		if err := b.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	if n := len(b.JWKS().Keys); n != len(Algorithms)+5 {
		t.Errorf("JWKS has %d keys, want %d", n, len(Algorithms)+5)
	}
}

// TestReloadMissingKeyStillFollowsRotation: a read that lacks a key still
// in use here (another node deleted it as gone a little early, by its own
// clock or retention) keeps that key loaded and still takes the new key of
// the same read, so this node goes on following rotations.
func TestReloadMissingKeyStillFollowsRotation(t *testing.T) {
	st, _, b, _ := twoNodes(t)
	old := signingKID(t, b, "RS256")
	st.set(func(m *memStore) {
		m.rows = slices.DeleteFunc(m.rows, func(k store.SigningKey) bool { return k.ID == old })
	})
	addKey(t, st, "es256-new", t0)
	err := b.Reload(context.Background())
	if !errors.Is(err, ErrKeptMissing) || !strings.Contains(err.Error(), "no longer holds") {
		t.Fatalf("Reload = %v, want the missing key reported", err)
	}
	if _, ok := b.PublicKey(old); !ok {
		t.Error("the key still in use here was dropped")
	}
	if !published(b, "es256-new") {
		t.Error("the new key of the same read was not taken")
	}
}
