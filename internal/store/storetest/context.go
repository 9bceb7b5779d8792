package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Every method takes the request's context: a client that has gone away must
// not keep a database connection busy, and the call must fail cleanly (an
// error wrapping context.Canceled, no panic, nothing written) rather than
// half-succeed.
func testCancelledContext(t *testing.T, s store.Store) {
	bg := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)
	if err := s.CreateAuthCode(bg, newCode("code-1")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()

	g2, rt2 := newGrant("g2", "client-a", "alice")
	later := time.Now().Add(time.Hour)
	calls := map[string]func() error{
		"CreateGrant": func() error { return s.CreateGrant(ctx, g2, rt2) },
		"Grant":       func() error { _, err := s.Grant(ctx, "g1"); return err },
		"RefreshToken": func() error {
			_, _, err := s.RefreshToken(ctx, rt0.Hash)
			return err
		},
		"RotateRefreshToken": func() error {
			return s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken("rt1", "g1", 1))
		},
		"ExtendRefreshToken": func() error { return s.ExtendRefreshToken(ctx, rt0.Hash, at(99*time.Hour)) },
		"RevokeGrant":        func() error { _, err := s.RevokeGrant(ctx, "g1", at(time.Minute)); return err },
		"RevokeGrants": func() error {
			_, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a"}, at(time.Minute))
			return err
		},
		"CreateAuthCode": func() error { return s.CreateAuthCode(ctx, newCode("code-2")) },
		"ConsumeAuthCode": func() error {
			_, err := s.ConsumeAuthCode(ctx, "code-1", at(time.Second))
			return err
		},
		"SetAuthCodeGrant": func() error { return s.SetAuthCodeGrant(ctx, "code-1", "g1") },
		"UseJTI":           func() error { return s.UseJTI(ctx, "client-a", "jti-1", later) },
		"SigningKeys":      func() error { _, err := s.SigningKeys(ctx); return err },
		"AddSigningKey": func() error {
			return s.AddSigningKey(ctx, store.SigningKey{ID: "k1", Algorithm: "RS256", Sealed: []byte{1}, CreatedAt: at(0)})
		},
		"DeleteExpired": func() error { _, err := s.DeleteExpired(ctx, at(1000*time.Hour)); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s(cancelled ctx): err = %v, want context.Canceled", name, err)
		}
	}

	// Nothing was written.
	_, err := s.Grant(bg, "g2")
	wantErr(t, "Grant(g2) after cancelled CreateGrant", err, store.ErrNotFound)
	got, gotG := mustToken(t, s, rt0.Hash)
	checkToken(t, "token after cancelled calls", got, rt0)
	checkGrant(t, "grant after cancelled calls", gotG, g)
	wantGone(t, s, "rt1")
	if keys, err := s.SigningKeys(bg); err != nil || len(keys) != 0 {
		t.Errorf("SigningKeys after cancelled AddSigningKey = %d keys, %v; want 0", len(keys), err)
	}
	if err := s.UseJTI(bg, "client-a", "jti-1", later); err != nil {
		t.Errorf("UseJTI after cancelled UseJTI: %v", err)
	}
	if _, err := s.ConsumeAuthCode(bg, "code-2", at(time.Second)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ConsumeAuthCode(code-2) after cancelled CreateAuthCode: err = %v, want ErrNotFound", err)
	}
	c, err := s.ConsumeAuthCode(bg, "code-1", at(time.Second))
	if err != nil || c.GrantID != "" {
		t.Errorf("ConsumeAuthCode(code-1) after cancelled calls = grant %q, %v; want unconsumed, no grant", c.GrantID, err)
	}
}
