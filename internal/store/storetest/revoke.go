package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

func testRevokeGrant(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt0 := newGrant("g1", "client-a", "alice")
	mustCreateGrant(t, s, g, rt0)

	ok, err := s.RevokeGrant(ctx, "g1", at(time.Minute), store.Event{})
	if err != nil || !ok {
		t.Fatalf("first RevokeGrant = %v, %v; want true, nil", ok, err)
	}
	want := g
	want.RevokedAt = at(time.Minute)
	got := mustGrant(t, s, "g1")
	checkGrant(t, "revoked grant", got, want)
	if !got.Revoked() {
		t.Error("Revoked() = false after RevokeGrant")
	}
	// Revocation is visible at once through the token lookup too.
	_, viaToken := mustToken(t, s, rt0.GrantID, rt0.Hash)
	checkGrant(t, "revoked grant via token", viaToken, want)

	ok, err = s.RevokeGrant(ctx, "g1", at(time.Hour), store.Event{})
	if err != nil || ok {
		t.Errorf("second RevokeGrant = %v, %v; want false, nil", ok, err)
	}
	checkGrant(t, "grant revoked twice keeps the first time", mustGrant(t, s, "g1"), want)

	_, err = s.RevokeGrant(ctx, "nope", at(time.Minute), store.Event{})
	wantErr(t, "RevokeGrant(unknown)", err, store.ErrNotFound)
}

func testRevokeGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, g := range [][3]string{
		{"a1", "client-a", "alice"}, {"a2", "client-a", "bob"},
		{"b1", "client-b", "alice"}, {"b2", "client-b", "bob"},
		{"b3", "client-b", "bob"}, {"c1", "client-c", "carol"},
		{"gone", "client-a", "alice"},
	} {
		gr, rt := newGrant(g[0], g[1], g[2])
		mustCreateGrant(t, s, gr, rt)
	}
	if _, err := s.RevokeGrant(ctx, "gone", at(time.Second), store.Event{}); err != nil {
		t.Fatal(err)
	}
	revoked := map[string]time.Time{"gone": at(time.Second)}

	steps := []struct {
		f    store.GrantFilter
		when time.Time
		want int
		ids  []string
	}{
		{store.GrantFilter{ClientID: "client-a"}, at(time.Minute), 2, []string{"a1", "a2"}},
		{store.GrantFilter{Subject: "alice"}, at(2 * time.Minute), 1, []string{"b1"}},
		{store.GrantFilter{ClientID: "client-b", Subject: "bob"}, at(3 * time.Minute), 2, []string{"b2", "b3"}},
		{store.GrantFilter{ClientID: "client-b", Subject: "bob"}, at(4 * time.Minute), 0, nil},
		{store.GrantFilter{ClientID: "client-x"}, at(4 * time.Minute), 0, nil},
	}
	for _, st := range steps {
		n, err := s.RevokeGrants(ctx, st.f, st.when, store.Event{})
		if err != nil || n != st.want {
			t.Errorf("RevokeGrants(%+v) = %d, %v; want %d, nil", st.f, n, err, st.want)
		}
		for _, id := range st.ids {
			revoked[id] = st.when
		}
	}

	if _, err := s.RevokeGrants(ctx, store.GrantFilter{}, at(time.Hour), store.Event{}); err == nil {
		t.Error("RevokeGrants(empty filter): err = nil, want an error")
	}
	for _, id := range []string{"a1", "a2", "b1", "b2", "b3", "c1", "gone"} {
		g := mustGrant(t, s, id)
		if want := revoked[id]; !sameTime(g.RevokedAt, want) {
			t.Errorf("grant %s: RevokedAt = %v, want %v", id, g.RevokedAt, want)
		}
	}
}

// Revoking a compromised client must finish however many grants it holds:
// a backend may revoke in batches (each its own short transaction, so the
// revocation neither outlives a statement timeout nor stalls refreshes),
// but every live grant that matches goes, and nothing else. 2,300 grants
// are more than two batches of the backends' 1,000; ids interleave with
// another client's, and some matching grants are already revoked (they
// are not counted again, and keep their time).
func testRevokeGrantsMany(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 2300
	wantLive := 0
	for i := range n {
		id := fmt.Sprintf("g%05d", i)
		client, subject := "client-a", "alice"
		switch {
		case i%7 == 3:
			client = "client-b"
		case i%11 == 5:
			subject = "bob"
		}
		g, rt := newGrant(id, client, subject)
		mustCreateGrant(t, s, g, rt)
		if client == "client-a" && i%13 == 0 {
			if _, err := s.RevokeGrant(ctx, id, at(time.Second), store.Event{}); err != nil {
				t.Fatal(err)
			}
		} else if client == "client-a" && subject == "alice" {
			wantLive++
		}
	}
	got, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a", Subject: "alice"}, at(time.Hour), store.Event{})
	if err != nil || got != wantLive {
		t.Fatalf("RevokeGrants(client-a, alice) = %d, %v; want %d, nil", got, err, wantLive)
	}
	for i := range n {
		id := fmt.Sprintf("g%05d", i)
		g := mustGrant(t, s, id)
		var want time.Time
		switch {
		case i%7 == 3:
			// another client: untouched
		case i%13 == 0:
			want = at(time.Second) // revoked before, kept its time
		case i%11 == 5:
			// client-a's bob: untouched
		default:
			want = at(time.Hour)
		}
		if !g.RevokedAt.Truncate(time.Millisecond).Equal(want.Truncate(time.Millisecond)) {
			t.Fatalf("grant %s (%s, %s): revoked at %v, want %v", id, g.ClientID, g.Subject, g.RevokedAt, want)
		}
	}
	again, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a", Subject: "alice"}, at(2*time.Hour), store.Event{})
	if err != nil || again != 0 {
		t.Errorf("RevokeGrants again = %d, %v; want 0, nil", again, err)
	}
	bob, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-a"}, at(3*time.Hour), store.Event{})
	if err != nil || bob == 0 {
		t.Errorf("RevokeGrants(client-a) after alice's = %d, %v; want bob's grants, nil", bob, err)
	}
}
