package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// testAuditDirectory: a client's or a user's change writes its event with
// it (the client id, or the user's subject, filled in), and a change that
// loses (a duplicate, a stale version, an unknown user) writes none.
func testAuditDirectory(t *testing.T, s store.Store) {
	ctx := context.Background()
	cl := newClientRecord("ad-client")
	if err := s.CreateClient(ctx, cl, ev(store.EventClientChanged)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateClient(duplicate)", s.CreateClient(ctx, cl, ev(store.EventClientChanged)), store.ErrConflict)
	cl.Version, cl.Disabled, cl.UpdatedAt = 1, true, at(2*time.Minute)
	if err := s.UpdateClient(ctx, cl, ev(store.EventClientChanged)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UpdateClient(stale version)", s.UpdateClient(ctx, cl, ev(store.EventClientChanged)), store.ErrConflict)
	got := events(t, s, store.EventFilter{ClientID: "ad-client"})
	if len(got) != 2 {
		t.Fatalf("client created and updated once, two changes lost: %d events, want 2: %+v", len(got), got)
	}
	want := ev(store.EventClientChanged)
	want.ClientID = "ad-client"
	checkEvent(t, "client_changed", got[0], want)

	u := store.User{Subject: "sub-ad-user", Username: "ad-user", CreatedAt: at(0), UpdatedAt: at(0)}
	if err := s.CreateUser(ctx, u, ev(store.EventUserChanged)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateUser(duplicate)", s.CreateUser(ctx, u, ev(store.EventUserChanged)), store.ErrConflict)
	off := true
	if _, err := s.UpdateUser(ctx, "ad-user", store.UserUpdate{Disabled: &off}, at(3*time.Minute), ev(store.EventUserChanged)); err != nil {
		t.Fatal(err)
	}
	lost := ev(store.EventUserChanged)
	lost.Subject = "sub-ad-user"
	_, err := s.UpdateUser(ctx, "ad-nobody", store.UserUpdate{Disabled: &off}, at(3*time.Minute), lost)
	wantErr(t, "UpdateUser(unknown)", err, store.ErrNotFound)
	got = events(t, s, store.EventFilter{Subject: "sub-ad-user"})
	if len(got) != 2 {
		t.Fatalf("user created and disabled, two changes lost: %d events, want 2: %+v", len(got), got)
	}
	want = ev(store.EventUserChanged)
	want.Subject = "sub-ad-user"
	checkEvent(t, "user_changed", got[0], want)
}
