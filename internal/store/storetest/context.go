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
	if err := s.CreateAuthRequest(bg, newAuthRequest("ar-1")); err != nil {
		t.Fatal(err)
	}
	sess := newSession("sess-1", "sid-1")
	if err := s.CreateSession(bg, sess, store.Event{}); err != nil {
		t.Fatal(err)
	}
	consent := newConsent("alice", "client-a")
	if err := s.SaveConsent(bg, consent); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()

	g2, rt2 := newGrant("g2", "client-a", "alice")
	later := at(time.Hour)
	calls := map[string]func() error{
		"CreateGrant": func() error { return s.CreateGrant(ctx, g2, rt2, store.Event{}) },
		"GrantChain":  func() error { _, _, err := s.GrantChain(ctx, "g1"); return err },
		"RefreshToken": func() error {
			_, _, err := s.RefreshToken(ctx, rt0.GrantID, rt0.Hash)
			return err
		},
		"RotateRefreshToken": func() error {
			return s.RotateRefreshToken(ctx, rt0.Hash, at(time.Minute), newToken("rt1", "g1", 1))
		},
		"ExtendRefreshToken": func() error { return s.ExtendRefreshToken(ctx, rt0.GrantID, rt0.Hash, at(99*time.Hour)) },
		"RevokeGrant":        func() error { _, err := s.RevokeGrant(ctx, "g1", at(time.Minute), store.Event{}); return err },
		"RevokeGrants": func() error {
			_, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a"}, at(time.Minute), store.Event{})
			return err
		},
		"RevokeGrantOrTombstone": func() error {
			_, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("g-tomb"), at(time.Minute), store.Event{})
			return err
		},
		"CreateAuthCode": func() error { return s.CreateAuthCode(ctx, newCode("code-2")) },
		"AuthCode":       func() error { _, err := s.AuthCode(ctx, "code-1"); return err },
		"ConsumeAuthCode": func() error {
			_, err := s.ConsumeAuthCode(ctx, "code-1", at(time.Second), "g1")
			return err
		},
		"UseJTI": func() error { return s.UseJTI(ctx, "client-a", "jti-1", later, at(0)) },
		"TakeLease": func() error {
			_, err := s.TakeLease(ctx, "janitor", "node-a", at(0), time.Minute)
			return err
		},
		"Ping":        func() error { return s.Ping(ctx) },
		"SigningKeys": func() error { _, err := s.SigningKeys(ctx); return err },
		"AddSigningKey": func() error {
			return s.AddSigningKey(ctx, store.SigningKey{ID: "k1", Algorithm: "RS256", Sealed: []byte{1}, CreatedAt: at(0)}, store.Event{})
		},
		"CreateAuthRequest": func() error { return s.CreateAuthRequest(ctx, newAuthRequest("ar-2")) },
		"AuthRequest":       func() error { _, err := s.AuthRequest(ctx, "ar-1"); return err },
		"ConsumeAuthRequest": func() error {
			_, err := s.ConsumeAuthRequest(ctx, "ar-1", at(time.Second))
			return err
		},
		"CreateSession": func() error { return s.CreateSession(ctx, newSession("sess-2", "sid-2"), store.Event{}) },
		"Session":       func() error { _, err := s.Session(ctx, "sess-1"); return err },
		"DeleteSession": func() error { return s.DeleteSession(ctx, "sess-1") },
		"SaveConsent": func() error {
			return s.SaveConsent(ctx, store.Consent{Subject: "alice", ClientID: "client-a", Scopes: []string{"openid"}, CreatedAt: at(time.Hour)})
		},
		"Consent":       func() error { _, err := s.Consent(ctx, "alice", "client-a"); return err },
		"DeleteExpired": func() error { _, err := s.DeleteExpired(ctx, at(1000*time.Hour)); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s(cancelled ctx): err = %v, want context.Canceled", name, err)
		}
	}

	// Nothing was written.
	_, _, err := s.GrantChain(bg, "g2")
	wantErr(t, "Grant(g2) after cancelled CreateGrant", err, store.ErrNotFound)
	_, _, err = s.GrantChain(bg, "g-tomb")
	wantErr(t, "Grant(g-tomb) after cancelled RevokeGrantOrTombstone", err, store.ErrNotFound)
	got, gotG := mustToken(t, s, rt0.GrantID, rt0.Hash)
	checkToken(t, "token after cancelled calls", got, rt0)
	checkGrant(t, "grant after cancelled calls", gotG, g)
	wantGone(t, s, "g1", "rt1")
	if keys, err := s.SigningKeys(bg); err != nil || len(keys) != 0 {
		t.Errorf("SigningKeys after cancelled AddSigningKey = %d keys, %v; want 0", len(keys), err)
	}
	if err := s.UseJTI(bg, "client-a", "jti-1", later, at(0)); err != nil {
		t.Errorf("UseJTI after cancelled UseJTI: %v", err)
	}
	if _, err := s.ConsumeAuthCode(bg, "code-2", at(time.Second), "g3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ConsumeAuthCode(code-2) after cancelled CreateAuthCode: err = %v, want ErrNotFound", err)
	}
	// The cancelled ConsumeAuthCode neither consumed code-1 nor recorded g1.
	c, err := s.ConsumeAuthCode(bg, "code-1", at(time.Second), "g3")
	if err != nil || c.GrantID != "g3" {
		t.Errorf("ConsumeAuthCode(code-1) after cancelled calls = grant %q, %v; want unconsumed, then g3", c.GrantID, err)
	}
	_, err = s.AuthRequest(bg, "ar-2")
	wantErr(t, "AuthRequest(ar-2) after cancelled CreateAuthRequest", err, store.ErrNotFound)
	if _, err := s.ConsumeAuthRequest(bg, "ar-1", at(time.Second)); err != nil {
		t.Errorf("ConsumeAuthRequest(ar-1) after cancelled ConsumeAuthRequest: %v", err)
	}
	wantSessionGone(t, s, "sess-2")
	if got, err := s.Session(bg, "sess-1"); err != nil {
		t.Errorf("Session(sess-1) after cancelled DeleteSession: %v", err)
	} else {
		checkSession(t, "session after cancelled calls", got, sess)
	}
	if got, err := s.Consent(bg, "alice", "client-a"); err != nil {
		t.Errorf("Consent after cancelled SaveConsent: %v", err)
	} else {
		checkConsent(t, "consent after cancelled SaveConsent", got, consent)
	}
	// DeleteExpired (at 1000h, past every fixture) removed nothing.
	if _, err := s.AuthRequest(bg, "ar-1"); err != nil {
		t.Errorf("AuthRequest(ar-1) after cancelled DeleteExpired: %v", err)
	}
}
