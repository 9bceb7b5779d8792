package authcode_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authcode"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func issue(t *testing.T) (*memstore.Store, string) {
	t.Helper()
	st := memstore.New()
	v, err := authcode.Issue(context.Background(), st, t0, store.AuthCode{ClientID: "app", Subject: "sub"})
	if err != nil {
		t.Fatal(err)
	}
	return st, v
}

// Only the hash is stored; the code lives TTL from its issue.
func TestIssueStoresHash(t *testing.T) {
	st, v := issue(t)
	if !mint.WellFormed(mint.CodePrefix, v) {
		t.Fatalf("value %q", v)
	}
	if _, err := st.AuthCode(context.Background(), v); err == nil {
		t.Error("the value itself finds a code")
	}
	c, err := authcode.Find(context.Background(), st, v)
	if err != nil || c.Hash != mint.HashToken(v) || !c.CreatedAt.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(authcode.TTL)) || c.ClientID != "app" {
		t.Errorf("%+v %v", c, err)
	}
}

// A malformed or unknown value is ErrUnknown, one answer for both.
func TestFindUnknown(t *testing.T) {
	st, v := issue(t)
	for _, bad := range []string{"", "nonsense", v + "x", mint.NewCode()} {
		if _, err := authcode.Find(context.Background(), st, bad); !errors.Is(err, authcode.ErrUnknown) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// counting counts the store's lookups.
type counting struct {
	authcode.Store
	n int
}

func (c *counting) AuthCode(ctx context.Context, hash string) (store.AuthCode, error) {
	c.n++
	return c.Store.AuthCode(ctx, hash)
}

// A value that is no code of ours is not even looked up.
func TestFindMalformedNotLookedUp(t *testing.T) {
	st, v := issue(t)
	cs := &counting{Store: st}
	for _, bad := range []string{"", "nonsense", v[len(mint.CodePrefix):]} {
		if _, err := authcode.Find(context.Background(), cs, bad); !errors.Is(err, authcode.ErrUnknown) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if cs.n != 0 {
		t.Errorf("%d lookups of malformed values", cs.n)
	}
}

// A code is usable until ExpiresAt, not at it, and never once consumed.
func TestUsable(t *testing.T) {
	c := store.AuthCode{ExpiresAt: t0.Add(authcode.TTL)}
	if err := authcode.Usable(c, t0.Add(authcode.TTL-time.Second)); err != nil {
		t.Errorf("a second before: %v", err)
	}
	if err := authcode.Usable(c, t0.Add(authcode.TTL)); !errors.Is(err, authcode.ErrExpired) {
		t.Errorf("at expiry: %v", err)
	}
	c.ConsumedAt = t0
	if err := authcode.Usable(c, t0); !errors.Is(err, authcode.ErrReplayed) {
		t.Errorf("consumed: %v", err)
	}
}

// Consume uses a code up once; the loser of two gets ErrReplayed with the
// winner's grant id, so the replay can revoke it (RFC 6749 §4.1.2).
func TestConsumeOnce(t *testing.T) {
	ctx := context.Background()
	st, v := issue(t)
	c, _ := authcode.Find(ctx, st, v)
	got, err := authcode.Consume(ctx, st, c, t0.Add(time.Second), "grant-1")
	if err != nil || got.GrantID != "grant-1" {
		t.Fatalf("%+v %v", got, err)
	}
	again, err := authcode.Consume(ctx, st, c, t0.Add(2*time.Second), "grant-2")
	if !errors.Is(err, authcode.ErrReplayed) || again.GrantID != "grant-1" {
		t.Fatalf("second: %+v %v", again, err)
	}
	if _, err := authcode.Consume(ctx, st, store.AuthCode{Hash: "nope"}, t0, ""); !errors.Is(err, authcode.ErrUnknown) {
		t.Errorf("unknown: %v", err)
	}
}
