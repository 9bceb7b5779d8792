package keys

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// keptMissing makes st lack node b's RS256 signing key, still in use on
// b, and returns its kid.
func keptMissing(t *testing.T, st *memStore, b *Set) string {
	t.Helper()
	old := signingKID(t, b, "RS256")
	st.set(func(m *memStore) {
		m.rows = slices.DeleteFunc(m.rows, func(k store.SigningKey) bool { return k.ID == old })
	})
	if err := b.Reload(context.Background()); !errors.Is(err, ErrKeptMissing) {
		t.Fatalf("Reload of a store missing a key in use = %v, want ErrKeptMissing", err)
	}
	if _, ok := b.PublicKey(old); !ok {
		t.Fatal("the key still in use here was dropped")
	}
	return old
}

// TestRotateWithKeptMissingKey: a key kept loaded because the store lacks
// it does not stall rotation on this node: Rotate stores a next key and
// reports success, RotateDue rotates what is due, and both leave the kept
// key loaded.
func TestRotateWithKeptMissingKey(t *testing.T) {
	st, _, b, clk := twoNodes(t)
	old := keptMissing(t, st, b)
	in, err := b.Rotate(context.Background(), "ES256")
	if err != nil {
		t.Fatalf("Rotate with a kept key = %v", err)
	}
	if in.State != StateNext || !published(b, in.KID) {
		t.Errorf("Rotate = %+v; want a next key, published", in)
	}
	rows, _ := st.SigningKeys(context.Background())
	if !slices.ContainsFunc(rows, func(k store.SigningKey) bool { return k.ID == in.KID }) {
		t.Error("the rotated key is not in the store")
	}

	clk.Add(365 * 24 * time.Hour)
	added, err := b.RotateDue(context.Background(), 24*time.Hour)
	if err != nil {
		t.Fatalf("RotateDue with a kept key = %v", err)
	}
	if len(added) != len(Algorithms) {
		t.Errorf("RotateDue added %+v, want one key per algorithm", added)
	}
	if _, ok := b.PublicKey(old); !ok {
		t.Error("rotation dropped the kept key")
	}
}

// TestReloadKeptKeyFastPath: with a key kept loaded and nothing new in the
// store, a reload keeps the snapshot in use (no new view or JWKS) and still
// reports the missing key; a new key in the store is taken.
func TestReloadKeptKeyFastPath(t *testing.T) {
	st, _, b, _ := twoNodes(t)
	keptMissing(t, st, b)
	before := b.cur.Load()
	if err := b.Reload(context.Background()); !errors.Is(err, ErrKeptMissing) {
		t.Fatalf("Reload = %v, want ErrKeptMissing", err)
	}
	if b.cur.Load() != before {
		t.Error("a reload with nothing new rebuilt the set in use")
	}
	addKey(t, st, "es256-new", t0)
	if err := b.Reload(context.Background()); !errors.Is(err, ErrKeptMissing) {
		t.Fatalf("Reload = %v, want ErrKeptMissing", err)
	}
	if b.cur.Load() == before || !published(b, "es256-new") {
		t.Error("a new key in the store was not taken")
	}
}
