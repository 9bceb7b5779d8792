package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// testListConsents: a subject's consents, by client id in byte order,
// never another subject's; DeleteConsent removes exactly one and says so.
func testListConsents(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.ListConsents(ctx, "alice"); err != nil || len(got) != 0 {
		t.Fatalf("ListConsents(none) = %v, %v; want nothing", got, err)
	}
	b := newConsent("alice", "client-b")
	a := newConsent("alice", "Client-a") // upper case sorts first in byte order
	a.ExpiresAt = time.Time{}
	bob := newConsent("bob", "client-a")
	for _, c := range []store.Consent{b, a, bob} {
		if err := s.SaveConsent(ctx, c); err != nil {
			t.Fatalf("SaveConsent: %v", err)
		}
	}
	got, err := s.ListConsents(ctx, "alice")
	if err != nil {
		t.Fatalf("ListConsents: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ListConsents(alice) returned %d consents, want 2: %+v", len(got), got)
	}
	checkConsent(t, "first consent", got[0], a)
	checkConsent(t, "second consent", got[1], b)

	// Another subject's consent is not alice's to forget.
	withdrawn := ev(store.EventConsentWithdrawn)
	if ok, err := s.DeleteConsent(ctx, "alice", "client-a", withdrawn); err != nil || ok {
		t.Fatalf("DeleteConsent(alice, bob's client) = %v, %v; want false", ok, err)
	}
	if _, err := s.Consent(ctx, "bob", "client-a"); err != nil {
		t.Fatalf("bob's consent after alice's delete: %v", err)
	}
	if ok, err := s.DeleteConsent(ctx, "alice", "client-b", withdrawn); err != nil || !ok {
		t.Fatalf("DeleteConsent(alice, client-b) = %v, %v; want true", ok, err)
	}
	_, err = s.Consent(ctx, "alice", "client-b")
	wantErr(t, "Consent after DeleteConsent", err, store.ErrNotFound)
	if ok, err := s.DeleteConsent(ctx, "alice", "client-b", withdrawn); err != nil || ok {
		t.Fatalf("DeleteConsent again = %v, %v; want false", ok, err)
	}
	// One event: the delete that happened, with the consent's subject and
	// client; none for the two that found nothing.
	if evs := events(t, s, store.EventFilter{Subject: "alice", Kind: store.EventConsentWithdrawn}); len(evs) != 1 || evs[0].ClientID != "client-b" {
		t.Fatalf("consent_withdrawn events %+v, want one for client-b", evs)
	}
	if got, err := s.ListConsents(ctx, "alice"); err != nil || len(got) != 1 || got[0].ClientID != "Client-a" {
		t.Fatalf("ListConsents after delete = %+v, %v; want only Client-a", got, err)
	}
}
