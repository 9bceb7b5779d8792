package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// testAudit is the audit trail's conformance: events written with the
// change they record and never without it, one per grant of a bulk
// revocation, the filters, keyset paging, and retention. The cases share
// one store; each keeps to its own clients and times.
func testAudit(t *testing.T, s store.Store) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RetentionSweep", testAuditRetentionSweep}, // first: it deletes by time alone
		{"Retention", testAuditRetention},
		{"WrittenWithChange", testAuditWrittenWithChange},
		{"NotWrittenWhenLost", testAuditNotWrittenWhenLost},
		{"BulkRevocation", testAuditBulkRevocation},
		{"Filters", testAuditFilters},
		{"Paging", testAuditPaging},
		{"Directory", testAuditDirectory}, // auditdir.go
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, s) })
	}
}

// ev is an event with every request field set.
func ev(kind string) store.Event {
	return store.Event{Kind: kind, Time: at(time.Minute), Actor: "client", ActorID: "the-actor", Node: "node-1",
		Reason: "because", RemoteAddr: "192.0.2.7", UserAgent: "storetest/1", RequestID: "req-" + kind}
}

// events lists every event f selects, following the cursor.
func events(t *testing.T, s store.Store, f store.EventFilter) []store.Event {
	t.Helper()
	var all []store.Event
	for {
		page, next, err := s.Events(context.Background(), f)
		if err != nil {
			t.Fatalf("Events(%+v): %v", f, err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		f.After = next
	}
}

func checkEvent(t *testing.T, what string, got, want store.Event) {
	t.Helper()
	var d diff
	d.str("Kind", got.Kind, want.Kind)
	d.str("Reason", got.Reason, want.Reason)
	d.str("Actor", got.Actor, want.Actor)
	d.str("ActorID", got.ActorID, want.ActorID)
	d.str("Node", got.Node, want.Node)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.str("Subject", got.Subject, want.Subject)
	d.str("GrantID", got.GrantID, want.GrantID)
	d.str("SessionID", got.SessionID, want.SessionID)
	d.str("RemoteAddr", got.RemoteAddr, want.RemoteAddr)
	d.str("UserAgent", got.UserAgent, want.UserAgent)
	d.str("RequestID", got.RequestID, want.RequestID)
	d.time("Time", got.Time, want.Time)
	if got.ID == "" {
		d = append(d, "ID is empty")
	}
	d.report(t, what)
}

func testAuditWrittenWithChange(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt := newGrant("aw1", "client-aw", "alice-aw")
	if err := s.CreateGrant(ctx, g, rt, ev(store.EventGrantCreated)); err != nil {
		t.Fatal(err)
	}
	// The grant's fields fill what the event leaves empty.
	want := ev(store.EventGrantCreated)
	want.ClientID, want.Subject, want.GrantID, want.SessionID = g.ClientID, g.Subject, g.ID, g.SessionID
	got := events(t, s, store.EventFilter{GrantID: "aw1"})
	if len(got) != 1 {
		t.Fatalf("after CreateGrant: %d events, want 1: %+v", len(got), got)
	}
	checkEvent(t, "grant_created", got[0], want)

	rv := ev(store.EventRevoked)
	rv.Time = at(2 * time.Minute)
	if ok, err := s.RevokeGrant(ctx, "aw1", at(2*time.Minute), rv); err != nil || !ok {
		t.Fatalf("RevokeGrant = %v, %v", ok, err)
	}
	want = rv
	want.ClientID, want.Subject, want.GrantID, want.SessionID = g.ClientID, g.Subject, g.ID, g.SessionID
	got = events(t, s, store.EventFilter{GrantID: "aw1"})
	if len(got) != 2 {
		t.Fatalf("after RevokeGrant: %d events, want 2", len(got))
	}
	checkEvent(t, "revoked (newest first)", got[0], want)

	// A tombstone's event, and a live grant revoked through the same method.
	tomb := tombstoneFor("aw-tomb")
	tomb.ClientID, tomb.Subject = "client-aw", "alice-aw"
	if r, err := s.RevokeGrantOrTombstone(ctx, tomb, at(3*time.Minute), ev(store.EventRevoked)); err != nil || r != store.Tombstoned {
		t.Fatalf("RevokeGrantOrTombstone = %v, %v", r, err)
	}
	g2, rt2 := newGrant("aw2", "client-aw", "alice-aw")
	mustCreateGrant(t, s, g2, rt2)
	if r, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("aw2"), at(3*time.Minute), ev(store.EventRevoked)); err != nil || r != store.Revoked {
		t.Fatalf("RevokeGrantOrTombstone(live) = %v, %v", r, err)
	}
	for _, id := range []string{"aw-tomb", "aw2"} {
		got := events(t, s, store.EventFilter{GrantID: id, Kind: store.EventRevoked})
		if len(got) != 1 || got[0].ClientID != "client-aw" || got[0].Subject != "alice-aw" {
			t.Errorf("RevokeGrantOrTombstone(%s): events %+v, want one of client-aw, alice-aw", id, got)
		}
	}

	key := ev(store.EventKeyChanged)
	key.ClientID = "client-aw" // only to find it here
	if err := s.AddSigningKey(ctx, store.SigningKey{ID: "aw-key", Algorithm: "ES256", Sealed: []byte{1}, CreatedAt: at(0)}, key); err != nil {
		t.Fatal(err)
	}
	if got := events(t, s, store.EventFilter{ClientID: "client-aw", Kind: store.EventKeyChanged}); len(got) != 1 {
		t.Errorf("AddSigningKey: %d events, want 1", len(got))
	}

	sess := newSession("aw-sess", "aw-sid")
	sess.Subject = "alice-aw-session"
	if err := s.CreateSession(ctx, sess, ev(store.EventSignIn)); err != nil {
		t.Fatal(err)
	}
	got = events(t, s, store.EventFilter{Subject: "alice-aw-session"})
	if len(got) != 1 || got[0].Kind != store.EventSignIn || got[0].SessionID != "aw-sid" {
		t.Errorf("CreateSession: events %+v, want one sign_in with the session's sid", got)
	}
}

func testAuditNotWrittenWhenLost(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, rt := newGrant("al1", "client-al", "alice-al")
	mustCreateGrant(t, s, g, rt) // the zero Event: nothing recorded
	// Every change below loses: none may leave an event.
	rt.Hash = "other-hash"
	wantErr(t, "CreateGrant(duplicate)", s.CreateGrant(ctx, g, rt, ev(store.EventGrantCreated)), store.ErrConflict)
	if ok, err := s.RevokeGrant(ctx, "al1", at(time.Minute), store.Event{}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, err := s.RevokeGrant(ctx, "al1", at(time.Minute), ev(store.EventRevoked)); err != nil || ok {
		t.Errorf("RevokeGrant(revoked) = %v, %v", ok, err)
	}
	nf := ev(store.EventRevoked)
	nf.ClientID = "client-al"
	_, err := s.RevokeGrant(ctx, "al-none", at(time.Minute), nf)
	wantErr(t, "RevokeGrant(unknown)", err, store.ErrNotFound)
	if r, err := s.RevokeGrantOrTombstone(ctx, tombstoneFor("al1"), at(time.Minute), ev(store.EventRevoked)); err != nil || r != store.AlreadyRevoked {
		t.Errorf("RevokeGrantOrTombstone(revoked) = %v, %v", r, err)
	}
	if n, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-al"}, at(time.Minute), ev(store.EventRevoked)); err != nil || n != 0 {
		t.Errorf("RevokeGrants(all revoked) = %d, %v", n, err)
	}
	k := store.SigningKey{ID: "al-key", Algorithm: "ES256", Sealed: []byte{1}, CreatedAt: at(0)}
	if err := s.AddSigningKey(ctx, k, store.Event{}); err != nil {
		t.Fatal(err)
	}
	kev := ev(store.EventKeyChanged)
	kev.ClientID = "client-al"
	wantErr(t, "AddSigningKey(duplicate)", s.AddSigningKey(ctx, k, kev), store.ErrConflict)
	sess := newSession("al-sess", "al-sid")
	sess.Subject = "alice-al"
	if err := s.CreateSession(ctx, sess, store.Event{}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateSession(duplicate)", s.CreateSession(ctx, sess, ev(store.EventSignIn)), store.ErrConflict)
	if err := s.RecordEvent(ctx, store.Event{ClientID: "client-al"}); err != nil {
		t.Errorf("RecordEvent(zero kind): %v", err)
	}
	for _, f := range []store.EventFilter{{ClientID: "client-al"}, {Subject: "alice-al"}, {GrantID: "al1"}} {
		if got := events(t, s, f); len(got) != 0 {
			t.Errorf("Events(%+v) = %+v; want none: every change lost", f, got)
		}
	}
}

func testAuditBulkRevocation(t *testing.T, s store.Store) {
	ctx := context.Background()
	// More than one batch (store.EventBatch) of grants, one revoked before.
	const n = store.EventBatch + 7
	for i := range n {
		g, rt := newGrant(fmt.Sprintf("ab-%04d", i), "client-ab", fmt.Sprintf("subject-ab-%d", i%3))
		mustCreateGrant(t, s, g, rt)
	}
	if _, err := s.RevokeGrant(ctx, "ab-0005", at(time.Second), store.Event{}); err != nil {
		t.Fatal(err)
	}
	bulk := ev(store.EventRevoked)
	bulk.Actor, bulk.Reason = "admin", "client"
	got, err := s.RevokeGrants(ctx, store.GrantFilter{ClientID: "client-ab"}, at(time.Minute), bulk)
	if err != nil || got != n-1 {
		t.Fatalf("RevokeGrants = %d, %v; want %d", got, err, n-1)
	}
	evs := events(t, s, store.EventFilter{ClientID: "client-ab", Limit: 500})
	if len(evs) != n-1 {
		t.Fatalf("%d events, want one per grant revoked (%d)", len(evs), n-1)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.GrantID] || seen["id:"+e.ID] {
			t.Fatalf("event %+v repeats a grant or an id", e)
		}
		seen[e.GrantID], seen["id:"+e.ID] = true, true
		var i int
		if _, err := fmt.Sscanf(e.GrantID, "ab-%04d", &i); err != nil {
			t.Fatalf("event grant %q", e.GrantID)
		}
		want := bulk
		want.GrantID, want.ClientID, want.Subject, want.SessionID = e.GrantID, "client-ab", fmt.Sprintf("subject-ab-%d", i%3), "sid-"+e.GrantID
		checkEvent(t, "bulk revocation event", e, want)
	}
	if seen["ab-0005"] {
		t.Error("the grant revoked before has an event of the bulk revocation")
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	ctx := context.Background()
	type row struct {
		client, subject, grant, kind string
		min                          int
	}
	rows := []row{
		{"client-af1", "af-alice", "af-g1", store.EventSignIn, 1},
		{"client-af1", "af-alice", "af-g1", store.EventRefreshRefused, 2},
		{"client-af1", "af-bob", "af-g2", store.EventRefreshRefused, 3},
		{"client-af2", "af-alice", "af-g3", store.EventRevoked, 4},
		{"client-af2", "af-carol", "af-g4", store.EventSignInFailed, 5},
	}
	for _, r := range rows {
		e := ev(r.kind)
		e.ClientID, e.Subject, e.GrantID, e.Time = r.client, r.subject, r.grant, at(time.Duration(r.min)*time.Hour)
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	grants := func(evs []store.Event) string {
		var s string
		for _, e := range evs {
			s += e.GrantID + " "
		}
		return s
	}
	for _, c := range []struct {
		f    store.EventFilter
		want string
	}{
		{store.EventFilter{ClientID: "client-af1"}, "af-g2 af-g1 af-g1 "},
		{store.EventFilter{Subject: "af-alice"}, "af-g3 af-g1 af-g1 "},
		{store.EventFilter{GrantID: "af-g1"}, "af-g1 af-g1 "},
		{store.EventFilter{Kind: store.EventRefreshRefused, ClientID: "client-af1"}, "af-g2 af-g1 "},
		{store.EventFilter{Subject: "af-alice", ClientID: "client-af2"}, "af-g3 "},
		{store.EventFilter{Subject: "af-alice", Since: at(2 * time.Hour)}, "af-g3 af-g1 "},
		{store.EventFilter{Subject: "af-alice", Until: at(2 * time.Hour)}, "af-g1 "},
		{store.EventFilter{Subject: "af-alice", Since: at(2 * time.Hour), Until: at(4 * time.Hour)}, "af-g1 "},
		{store.EventFilter{Subject: "af-nobody"}, ""},
	} {
		if got := grants(events(t, s, c.f)); got != c.want {
			t.Errorf("Events(%+v) = %q, want %q (newest first)", c.f, got, c.want)
		}
	}
	_, _, err := s.Events(ctx, store.EventFilter{After: "not a cursor!"})
	if !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("Events(bad cursor): %v, want ErrBadCursor", err)
	}
}

func testAuditPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	record := func(i int, when time.Time) {
		e := ev(store.EventRefreshRefused)
		e.ClientID, e.GrantID, e.Time = "client-ap", fmt.Sprintf("ap-%02d", i), when
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// 25 events, in pairs at the same instant: the id breaks the tie.
	for i := range 25 {
		record(i, at(time.Duration(i/2)*time.Second))
	}
	f := store.EventFilter{ClientID: "client-ap", Limit: 10}
	page, next, err := s.Events(ctx, f)
	if err != nil || len(page) != 10 || next == "" {
		t.Fatalf("first page: %d events, next %q, %v", len(page), next, err)
	}
	seen := map[string]bool{}
	for _, e := range page {
		seen[e.GrantID] = true
	}
	// Newer events land while the operator pages: the pages that follow
	// go on where the first ended, neither repeating nor skipping.
	for i := 25; i < 30; i++ {
		record(i, at(time.Hour))
	}
	f.After = next
	rest := events(t, s, f)
	last := page[len(page)-1]
	for _, e := range rest {
		if seen[e.GrantID] {
			t.Errorf("event %s listed twice", e.GrantID)
		}
		if e.Time.After(last.Time) {
			t.Errorf("event %s (%v) newer than the page it follows", e.GrantID, e.Time)
		}
		seen[e.GrantID] = true
	}
	if len(seen) != 25 {
		t.Errorf("pages held %d distinct events, want the 25 there were", len(seen))
	}
	all := events(t, s, store.EventFilter{ClientID: "client-ap"})
	for i := 1; i < len(all); i++ {
		if a, b := all[i-1], all[i]; a.Time.Before(b.Time) || (a.Time.Equal(b.Time) && a.ID < b.ID) {
			t.Errorf("not newest first at %d: %v %s before %v %s", i, a.Time, a.ID, b.Time, b.ID)
		}
	}
}

// Retention's events are years older than every other case's.
var oldTime = t0.AddDate(-10, 0, 0)

func testAuditRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, d := range []time.Duration{-2 * time.Second, -time.Second, -time.Microsecond, 0, time.Second} {
		e := ev(store.EventSignInFailed)
		e.ClientID, e.GrantID, e.Time = "client-ar", fmt.Sprintf("ar-%d", i), oldTime.Add(d)
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteEvents(ctx, oldTime)
	if err != nil || n != 3 {
		t.Errorf("DeleteEvents = %d, %v; want the 3 events before the cut-off", n, err)
	}
	got := events(t, s, store.EventFilter{ClientID: "client-ar"})
	if len(got) != 2 || got[0].GrantID != "ar-4" || got[1].GrantID != "ar-3" {
		t.Errorf("left %+v; want ar-4 and ar-3 (at and after the cut-off)", got)
	}
}

func testAuditRetentionSweep(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 2300 // two full batches and a short one
	for i := range n {
		e := ev(store.EventRefreshRefused)
		e.ClientID, e.Time = "client-as", oldTime.Add(-time.Hour-time.Duration(i)*time.Millisecond)
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.DeleteEvents(ctx, oldTime.Add(-time.Minute))
	if err != nil || got != n {
		t.Errorf("DeleteEvents = %d, %v; want %d", got, err, n)
	}
	if left := events(t, s, store.EventFilter{ClientID: "client-as"}); len(left) != 0 {
		t.Errorf("%d events left", len(left))
	}
}
