package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Browser sign-in: parked authorization requests (PAR, login and consent
// interactions), browser sessions and remembered consents.

func testAuthRequest(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := newAuthRequest("ar-1")
	if err := s.CreateAuthRequest(ctx, r); err != nil {
		t.Fatalf("CreateAuthRequest: %v", err)
	}
	dup := newAuthRequest("ar-1")
	dup.ClientID, dup.Params = "client-b", []byte(`{}`)
	wantErr(t, "CreateAuthRequest(duplicate)", s.CreateAuthRequest(ctx, dup), store.ErrConflict)

	got, err := s.AuthRequest(ctx, "ar-1")
	if err != nil {
		t.Fatalf("AuthRequest: %v", err)
	}
	checkAuthRequest(t, "AuthRequest", got, r) // the duplicate overwrote nothing

	// Params is a copy both ways: neither the caller's slice nor a returned
	// one aliases the stored record.
	r.Params[0], got.Params[1] = 'X', 'Y'
	want := newAuthRequest("ar-1")
	again, err := s.AuthRequest(ctx, "ar-1")
	if err != nil {
		t.Fatalf("AuthRequest: %v", err)
	}
	checkAuthRequest(t, "AuthRequest after the caller changed its slices", again, want)

	got, err = s.ConsumeAuthRequest(ctx, "ar-1", at(time.Minute))
	if err != nil {
		t.Fatalf("first ConsumeAuthRequest: %v", err)
	}
	want.ConsumedAt = at(time.Minute)
	checkAuthRequest(t, "consumed request", got, want)
	got, err = s.AuthRequest(ctx, "ar-1") // a consumed request is still returned
	if err != nil {
		t.Fatalf("AuthRequest(consumed): %v", err)
	}
	checkAuthRequest(t, "AuthRequest(consumed)", got, want)

	// A second use gets the stored request, first ConsumedAt and all.
	got, err = s.ConsumeAuthRequest(ctx, "ar-1", at(2*time.Minute))
	wantErr(t, "second ConsumeAuthRequest", err, store.ErrConflict)
	checkAuthRequest(t, "request from second ConsumeAuthRequest", got, want)

	_, err = s.AuthRequest(ctx, "nope")
	wantErr(t, "AuthRequest(unknown)", err, store.ErrNotFound)
	_, err = s.ConsumeAuthRequest(ctx, "nope", at(time.Minute))
	wantErr(t, "ConsumeAuthRequest(unknown)", err, store.ErrNotFound)

	// An expired request is returned, and consumable: the caller decides.
	old := newAuthRequest("ar-old")
	old.CreatedAt, old.ExpiresAt = at(-time.Hour), at(-50*time.Minute)
	if err := s.CreateAuthRequest(ctx, old); err != nil {
		t.Fatalf("CreateAuthRequest(expired): %v", err)
	}
	got, err = s.AuthRequest(ctx, "ar-old")
	if err != nil {
		t.Fatalf("AuthRequest(expired): %v", err)
	}
	checkAuthRequest(t, "AuthRequest(expired)", got, old)

	// Optional fields left empty round-trip as empty (nil and empty Params
	// are the same).
	bare := store.AuthRequest{ID: "ar-bare", ClientID: "client-a", CreatedAt: at(0), ExpiresAt: at(time.Minute)}
	if err := s.CreateAuthRequest(ctx, bare); err != nil {
		t.Fatalf("CreateAuthRequest(bare): %v", err)
	}
	got, err = s.ConsumeAuthRequest(ctx, "ar-bare", at(time.Second))
	if err != nil {
		t.Fatalf("ConsumeAuthRequest(bare): %v", err)
	}
	bare.ConsumedAt = at(time.Second)
	checkAuthRequest(t, "bare request", got, bare)
}

// A request_uri or interaction replayed in parallel (double submit, or an
// attacker racing the user) is used exactly once.
func testAuthRequestConcurrent(t *testing.T, s store.Store) {
	const n = 50
	if err := s.CreateAuthRequest(context.Background(), newAuthRequest("ar-1")); err != nil {
		t.Fatalf("CreateAuthRequest: %v", err)
	}
	reqs := make([]store.AuthRequest, n)
	winner := raceOnce(t, n, "consumer", func(i int) error {
		var err error
		reqs[i], err = s.ConsumeAuthRequest(context.Background(), "ar-1", at(time.Duration(i+1)*time.Second))
		return err
	})
	// Every loser sees the winner's time: the one stored.
	want := newAuthRequest("ar-1")
	want.ConsumedAt = at(time.Duration(winner+1) * time.Second)
	for i, r := range reqs {
		checkAuthRequest(t, fmt.Sprintf("request returned to consumer %d", i), r, want)
	}
}

func testSession(t *testing.T, s store.Store) {
	ctx := context.Background()
	sess := newSession("sess-1", "sid-1")
	if err := s.CreateSession(ctx, sess, store.Event{}); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	got, err := s.Session(ctx, "sess-1")
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	checkSession(t, "Session", got, sess)

	// Duplicate ID, or duplicate SID: refused, and nothing changes.
	dupID := newSession("sess-1", "sid-2")
	dupID.Subject = "mallory"
	wantErr(t, "CreateSession(duplicate ID)", s.CreateSession(ctx, dupID, store.Event{}), store.ErrConflict)
	dupSID := newSession("sess-2", "sid-1")
	wantErr(t, "CreateSession(duplicate SID)", s.CreateSession(ctx, dupSID, store.Event{}), store.ErrConflict)
	wantSessionGone(t, s, "sess-2")
	if got, err := s.Session(ctx, "sess-1"); err != nil {
		t.Errorf("Session after duplicates: %v", err)
	} else {
		checkSession(t, "Session after duplicates", got, sess)
	}
	// The SID refused with sess-1's ID is free: the failed insert left no trace.
	if err := s.CreateSession(ctx, newSession("sess-3", "sid-2"), store.Event{}); err != nil {
		t.Errorf("CreateSession(SID of a refused duplicate): %v", err)
	}

	_, err = s.Session(ctx, "nope")
	wantErr(t, "Session(unknown)", err, store.ErrNotFound)

	// An expired session is returned: the caller decides.
	old := newSession("sess-old", "sid-old")
	old.CreatedAt, old.ExpiresAt = at(-9*time.Hour), at(-time.Hour)
	if err := s.CreateSession(ctx, old, store.Event{}); err != nil {
		t.Fatalf("CreateSession(expired): %v", err)
	}
	if got, err := s.Session(ctx, "sess-old"); err != nil {
		t.Errorf("Session(expired): %v", err)
	} else {
		checkSession(t, "Session(expired)", got, old)
	}

	// Delete, twice; the second, like deleting an unknown one, is no error.
	if err := s.DeleteSession(ctx, "sess-1"); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	wantSessionGone(t, s, "sess-1")
	if err := s.DeleteSession(ctx, "sess-1"); err != nil {
		t.Errorf("DeleteSession(deleted): %v", err)
	}
	if err := s.DeleteSession(ctx, "nope"); err != nil {
		t.Errorf("DeleteSession(unknown): %v", err)
	}
	if _, err := s.Session(ctx, "sess-3"); err != nil {
		t.Errorf("Session(other) after DeleteSession: %v", err)
	}
	// The deleted session's ID and SID are free again.
	again := newSession("sess-1", "sid-1")
	again.Subject = "bob"
	if err := s.CreateSession(ctx, again, store.Event{}); err != nil {
		t.Fatalf("CreateSession(deleted ID and SID): %v", err)
	}
	if got, err := s.Session(ctx, "sess-1"); err != nil {
		t.Errorf("Session(recreated): %v", err)
	} else {
		checkSession(t, "recreated session", got, again)
	}

	// Optional fields left empty round-trip as empty.
	bare := store.Session{ID: "sess-bare", SID: "sid-bare", Subject: "carol", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	if err := s.CreateSession(ctx, bare, store.Event{}); err != nil {
		t.Fatalf("CreateSession(bare): %v", err)
	}
	if got, err := s.Session(ctx, "sess-bare"); err != nil {
		t.Errorf("Session(bare): %v", err)
	} else {
		checkSession(t, "bare session", got, bare)
	}
}

func testConsent(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Consent(ctx, "alice", "client-a")
	wantErr(t, "Consent(none saved)", err, store.ErrNotFound)

	c := newConsent("alice", "client-a")
	if err := s.SaveConsent(ctx, c); err != nil {
		t.Fatalf("SaveConsent: %v", err)
	}
	// The key is the pair: neither half alone finds it.
	other := newConsent("alice", "client-b")
	other.Scopes = []string{"openid"}
	if err := s.SaveConsent(ctx, other); err != nil {
		t.Fatalf("SaveConsent(other client): %v", err)
	}
	got, err := s.Consent(ctx, "alice", "client-a")
	if err != nil {
		t.Fatalf("Consent: %v", err)
	}
	checkConsent(t, "Consent", got, c)
	_, err = s.Consent(ctx, "bob", "client-a")
	wantErr(t, "Consent(other subject)", err, store.ErrNotFound)
	_, err = s.Consent(ctx, "client-a", "alice") // the arguments are not interchangeable
	wantErr(t, "Consent(swapped arguments)", err, store.ErrNotFound)

	// Saving again replaces the whole record: scopes may narrow, and a zero
	// expiry (until withdrawn) replaces a set one.
	repl := store.Consent{Subject: "alice", ClientID: "client-a", Scopes: []string{"openid"}, CreatedAt: at(time.Hour)}
	if err := s.SaveConsent(ctx, repl); err != nil {
		t.Fatalf("SaveConsent(replace): %v", err)
	}
	if got, err := s.Consent(ctx, "alice", "client-a"); err != nil {
		t.Errorf("Consent(replaced): %v", err)
	} else {
		checkConsent(t, "replaced consent", got, repl)
	}
	wider := newConsent("alice", "client-a")
	wider.Scopes = []string{"openid", "profile", "email", "offline_access"}
	wider.CreatedAt = at(2 * time.Hour)
	if err := s.SaveConsent(ctx, wider); err != nil {
		t.Fatalf("SaveConsent(widen): %v", err)
	}
	if got, err := s.Consent(ctx, "alice", "client-a"); err != nil {
		t.Errorf("Consent(widened): %v", err)
	} else {
		checkConsent(t, "widened consent", got, wider)
	}
	if got, err := s.Consent(ctx, "alice", "client-b"); err != nil {
		t.Errorf("Consent(other client): %v", err)
	} else {
		checkConsent(t, "other client's consent, untouched", got, other)
	}

	// An expired consent is returned: the caller decides.
	old := newConsent("bob", "client-a")
	old.ExpiresAt = at(-time.Hour)
	if err := s.SaveConsent(ctx, old); err != nil {
		t.Fatalf("SaveConsent(expired): %v", err)
	}
	if got, err := s.Consent(ctx, "bob", "client-a"); err != nil {
		t.Errorf("Consent(expired): %v", err)
	} else {
		checkConsent(t, "expired consent", got, old)
	}

	// Empty scopes round-trip as empty.
	bare := store.Consent{Subject: "carol", ClientID: "client-a", CreatedAt: at(0)}
	if err := s.SaveConsent(ctx, bare); err != nil {
		t.Fatalf("SaveConsent(bare): %v", err)
	}
	if got, err := s.Consent(ctx, "carol", "client-a"); err != nil {
		t.Errorf("Consent(bare): %v", err)
	} else {
		checkConsent(t, "bare consent", got, bare)
	}

	// A caller cannot change a stored consent through its slices.
	got, err = s.Consent(ctx, "alice", "client-b")
	if err != nil {
		t.Fatal(err)
	}
	got.Scopes[0] = "admin"
	other.Scopes[0] = "admin"
	if got, err := s.Consent(ctx, "alice", "client-b"); err != nil {
		t.Errorf("Consent: %v", err)
	} else if len(got.Scopes) != 1 || got.Scopes[0] != "openid" {
		t.Errorf("stored scopes changed through a caller's slice: %q", got.Scopes)
	}
}

// revoke_on_logout: one client's grants for one browser session, or every
// grant of the session.
func testRevokeGrantsBySession(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, g := range [][4]string{
		{"s1a", "client-a", "alice", "sid-1"}, {"s1a2", "client-a", "alice", "sid-1"},
		{"s1b", "client-b", "alice", "sid-1"}, {"s1c", "client-c", "alice", "sid-1"},
		{"s2a", "client-a", "alice", "sid-2"}, {"s2b", "client-b", "alice", "sid-2"},
		{"s3a", "client-a", "bob", "sid-3"},
		{"pwd", "client-a", "alice", ""}, // the password grant has no session
	} {
		gr, rt := newGrant(g[0], g[1], g[2])
		gr.SessionID = g[3]
		mustCreateGrant(t, s, gr, rt)
	}
	revoked := map[string]time.Time{}
	steps := []struct {
		f    store.GrantFilter
		when time.Time
		want int
		ids  []string
	}{
		{store.GrantFilter{ClientID: "client-a", SessionID: "sid-1"}, at(time.Minute), 2, []string{"s1a", "s1a2"}},
		{store.GrantFilter{ClientID: "client-a", SessionID: "sid-1"}, at(2 * time.Minute), 0, nil},
		{store.GrantFilter{SessionID: "sid-1"}, at(3 * time.Minute), 2, []string{"s1b", "s1c"}},
		{store.GrantFilter{ClientID: "client-b", SessionID: "sid-3"}, at(4 * time.Minute), 0, nil},
		{store.GrantFilter{Subject: "bob", SessionID: "sid-2"}, at(4 * time.Minute), 0, nil},
		{store.GrantFilter{ClientID: "client-b", Subject: "alice", SessionID: "sid-2"}, at(5 * time.Minute), 1, []string{"s2b"}},
		{store.GrantFilter{SessionID: "sid-x"}, at(6 * time.Minute), 0, nil},
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
	for _, id := range []string{"s1a", "s1a2", "s1b", "s1c", "s2a", "s2b", "s3a", "pwd"} {
		g := mustGrant(t, s, id)
		if want := revoked[id]; !sameTime(g.RevokedAt, want) {
			t.Errorf("grant %s: RevokedAt = %v, want %v", id, g.RevokedAt, want)
		}
	}
}

// DeleteExpired on the sign-in tables: expired rows go whatever their state
// (a consumed request too), a zero expiry never expires, and an expiry equal
// to `before` is not before it.
func testDeleteExpiredSignIn(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := at(0)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)

	for id, exp := range map[string]time.Time{"ar-old": past, "ar-old-used": past, "ar-new": future, "ar-edge": now, "ar-forever": {},
		"ar-new-used": future, "ar-new-used-now": future} {
		r := newAuthRequest(id)
		r.ExpiresAt = exp
		if err := s.CreateAuthRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ConsumeAuthRequest(ctx, "ar-old-used", past.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Used up but not expired: gone if consumed before `before`, kept if
	// consumed at it (strictly before, like every expiry).
	if _, err := s.ConsumeAuthRequest(ctx, "ar-new-used", now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeAuthRequest(ctx, "ar-new-used-now", now); err != nil {
		t.Fatal(err)
	}
	for id, exp := range map[string]time.Time{"old": past, "new": future, "edge": now, "forever": {}} {
		sess := newSession("sess-"+id, "sid-"+id)
		sess.ExpiresAt = exp
		if err := s.CreateSession(ctx, sess, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	for client, exp := range map[string]time.Time{"client-old": past, "client-new": future, "client-edge": now, "client-forever": {}} {
		c := newConsent("alice", client)
		c.ExpiresAt = exp
		if err := s.SaveConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// A grant issued in the expired session is not the session: it stays.
	g, rt := newGrant("g1", "client-a", "alice")
	g.SessionID = "sid-old"
	mustCreateGrant(t, s, g, rt)

	n, err := s.DeleteExpired(ctx, now)
	// Gone: ar-old, ar-old-used, ar-new-used, sess-old, consent of client-old.
	if err != nil || n != 5 {
		t.Errorf("DeleteExpired = %d, %v; want 5, nil", n, err)
	}
	for _, id := range []string{"ar-old", "ar-old-used", "ar-new-used"} {
		_, err := s.AuthRequest(ctx, id)
		wantErr(t, "AuthRequest(expired and deleted)", err, store.ErrNotFound)
	}
	for _, id := range []string{"ar-new", "ar-edge", "ar-forever", "ar-new-used-now"} {
		if _, err := s.AuthRequest(ctx, id); err != nil {
			t.Errorf("AuthRequest(%s): %v", id, err)
		}
	}
	wantSessionGone(t, s, "sess-old")
	for _, id := range []string{"sess-new", "sess-edge", "sess-forever"} {
		if _, err := s.Session(ctx, id); err != nil {
			t.Errorf("Session(%s): %v", id, err)
		}
	}
	_, err = s.Consent(ctx, "alice", "client-old")
	wantErr(t, "Consent(expired and deleted)", err, store.ErrNotFound)
	for _, client := range []string{"client-new", "client-edge", "client-forever"} {
		if _, err := s.Consent(ctx, "alice", client); err != nil {
			t.Errorf("Consent(alice, %s): %v", client, err)
		}
	}
	mustGrant(t, s, "g1")
	// The deleted session's SID is free again.
	if err := s.CreateSession(ctx, newSession("sess-old", "sid-old"), store.Event{}); err != nil {
		t.Errorf("CreateSession(ID and SID of a deleted expired session): %v", err)
	}

	if n, err := s.DeleteExpired(ctx, now); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
	}
}

// testListSessions: a subject's live sessions, newest first, bounded by
// the limit; another subject's and the expired ones are not listed.
func testListSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := at(0)
	older := newSession("ls-old", "sid-old")
	older.CreatedAt, older.AuthTime = at(-2*time.Hour), at(-2*time.Hour)
	newer := newSession("ls-new", "sid-new")
	newer.CreatedAt, newer.AuthTime, newer.AMR = at(-time.Hour), at(-time.Hour), []string{"pwd"}
	gone := newSession("ls-gone", "sid-gone")
	gone.CreatedAt, gone.ExpiresAt = at(-3*time.Hour), now // expires at now: not live
	other := newSession("ls-other", "sid-other")
	other.Subject = "bob"
	for _, ss := range []store.Session{older, newer, gone, other} {
		if err := s.CreateSession(ctx, ss, store.Event{}); err != nil {
			t.Fatalf("CreateSession(%s): %v", ss.ID, err)
		}
	}
	got, err := s.ListSessions(ctx, "alice", now, 0)
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ListSessions(alice) = %d sessions, want 2 (live, alice's only): %+v", len(got), got)
	}
	checkSession(t, "ListSessions[0]", got[0], newer)
	checkSession(t, "ListSessions[1]", got[1], older)
	if got, err := s.ListSessions(ctx, "alice", now, 1); err != nil || len(got) != 1 || got[0].ID != "ls-new" {
		t.Errorf("ListSessions(limit 1) = %+v, %v; want the newest only", got, err)
	}
	if got, err := s.ListSessions(ctx, "alice", at(-150*time.Minute), 0); err != nil || len(got) != 3 {
		t.Errorf("ListSessions(before the expiry) = %d, %v; want 3", len(got), err)
	}
	if got, err := s.ListSessions(ctx, "nobody", now, 0); err != nil || len(got) != 0 {
		t.Errorf("ListSessions(nobody) = %+v, %v; want none", got, err)
	}
}
