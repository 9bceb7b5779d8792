package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// checkLineage compares a token as GrantLineage returns it: every field,
// the lineage (node, address, user agent) included.
func checkLineage(t *testing.T, what string, got, want store.RefreshToken) {
	t.Helper()
	checkToken(t, what, got, want)
	var d diff
	d.str("Node", got.Node, want.Node)
	d.str("RemoteAddr", got.RemoteAddr, want.RemoteAddr)
	d.str("UserAgent", got.UserAgent, want.UserAgent)
	d.report(t, what)
}

// testGrantLineage: the lineage written on create and on every rotation
// reads back through GrantLineage and ListGrants, across the rotations
// that insert a successor (the first) and those that reuse the row of the
// token two generations back (PostgreSQL's path from the second on).
func testGrantLineage(t *testing.T, s store.Store) {
	ctx := context.Background()
	g, first := newGrant("lin", "client-a", "alice")
	if err := s.CreateGrant(ctx, g, first, store.Event{}); err != nil {
		t.Fatal(err)
	}
	gotG, ts, err := s.GrantLineage(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkGrant(t, "lineage grant", gotG, g)
	if len(ts) != 1 {
		t.Fatalf("after create: %d tokens, want 1", len(ts))
	}
	checkLineage(t, "created token", ts[0], first)

	prev := first
	for gen := 1; gen <= 3; gen++ {
		next := newToken(fmt.Sprintf("rt%d-lin", gen), g.ID, gen)
		if err := s.RotateRefreshToken(ctx, prev.Hash, next.CreatedAt, next); err != nil {
			t.Fatalf("rotation %d: %v", gen, err)
		}
		_, ts, err := s.GrantLineage(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 2 {
			t.Fatalf("after rotation %d: %d tokens, want 2 (the live one and the one it replaced)", gen, len(ts))
		}
		consumed := prev
		consumed.ConsumedAt, consumed.SuccessorHash = next.CreatedAt, next.Hash
		checkLineage(t, fmt.Sprintf("rotation %d predecessor", gen), ts[0], consumed)
		checkLineage(t, fmt.Sprintf("rotation %d successor", gen), ts[1], next)

		sums, _, err := s.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "client-a"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 1 {
			t.Fatalf("listing: %d grants, want 1", len(sums))
		}
		sum := sums[0]
		var d diff
		d.num("Generation", sum.Generation, gen)
		d.time("LastUsed", sum.LastUsed, next.CreatedAt)
		d.str("Node", sum.Node, next.Node)
		d.str("RemoteAddr", sum.RemoteAddr, next.RemoteAddr)
		d.str("UserAgent", sum.UserAgent, next.UserAgent)
		d.report(t, fmt.Sprintf("summary after rotation %d", gen))
		checkGrant(t, "summary grant", sum.Grant, g)
		prev = next
	}

	if _, _, err := s.GrantLineage(ctx, "no-such-grant"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GrantLineage of an unknown id: %v, want ErrNotFound", err)
	}
	// A tombstone: a grant with no token, generation -1.
	tomb := store.Grant{ID: "tomb", ClientID: "client-a", Subject: "alice", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	if _, err := s.RevokeGrantOrTombstone(ctx, tomb, at(time.Second), store.Event{}); err != nil {
		t.Fatal(err)
	}
	if _, ts, err := s.GrantLineage(ctx, "tomb"); err != nil || len(ts) != 0 {
		t.Errorf("tombstone lineage: %d tokens, %v; want none", len(ts), err)
	}
	sums, _, err := s.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{Subject: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if ids := summaryIDs(sums); !slices.Equal(ids, []string{"lin", "tomb"}) {
		t.Fatalf("alice's grants: %v", ids)
	}
	if sums[1].Generation != -1 || !sums[1].LastUsed.IsZero() {
		t.Errorf("tombstone summary: generation %d, last used %v; want -1 and zero", sums[1].Generation, sums[1].LastUsed)
	}
}

func summaryIDs(sums []store.GrantSummary) []string {
	ids := make([]string, len(sums))
	for i, s := range sums {
		ids[i] = s.ID
	}
	return ids
}

// testListGrants: each filter alone and together, live only or all, and a
// cursor no listing returned.
func testListGrants(t *testing.T, s store.Store) {
	ctx := context.Background()
	// id: client, subject; the session is "sid-"+id except where set.
	rows := []struct{ id, client, subject, session string }{
		{"g1", "web", "alice", "s1"}, {"g2", "web", "bob", "s2"}, {"g3", "app", "alice", "s1"},
		{"g4", "app", "bob", "s3"}, {"g5", "web", "alice", "s4"}, {"g6", "web", "alice", "s1"},
	}
	for _, r := range rows {
		g, first := newGrant(r.id, r.client, r.subject)
		g.SessionID = r.session
		if err := s.CreateGrant(ctx, g, first, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RevokeGrant(ctx, "g5", at(time.Minute), store.Event{}); err != nil {
		t.Fatal(err)
	}
	// g7 is past its absolute expiry at the listing's now: not live.
	expired, first := newGrant("g7", "web", "alice")
	expired.ExpiresAt = at(time.Hour)
	if err := s.CreateGrant(ctx, expired, first, store.Event{}); err != nil {
		t.Fatal(err)
	}
	now := at(2 * time.Hour)
	for _, tc := range []struct {
		name string
		q    store.GrantQuery
		want []string
	}{
		{"all", store.GrantQuery{}, []string{"g1", "g2", "g3", "g4", "g5", "g6", "g7"}},
		{"client", store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "web"}}, []string{"g1", "g2", "g5", "g6", "g7"}},
		{"subject", store.GrantQuery{GrantFilter: store.GrantFilter{Subject: "bob"}}, []string{"g2", "g4"}},
		{"session", store.GrantQuery{GrantFilter: store.GrantFilter{SessionID: "s1"}}, []string{"g1", "g3", "g6"}},
		{"client and subject", store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "web", Subject: "alice"}}, []string{"g1", "g5", "g6", "g7"}},
		{"client and session", store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "web", SessionID: "s1"}}, []string{"g1", "g6"}},
		{"live client", store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "web"}, Live: true, Now: now}, []string{"g1", "g2", "g6"}},
		{"live all", store.GrantQuery{Live: true, Now: now}, []string{"g1", "g2", "g3", "g4", "g6"}},
		{"nothing", store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "none"}}, nil},
	} {
		got, next, err := s.ListGrants(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ids := summaryIDs(got); !slices.Equal(ids, tc.want) && !(len(ids) == 0 && tc.want == nil) {
			t.Errorf("%s: %v, want %v", tc.name, ids, tc.want)
		}
		if next != "" {
			t.Errorf("%s: next %q after a short page, want none", tc.name, next)
		}
	}
	for _, g := range mustList(t, s, store.GrantQuery{GrantFilter: store.GrantFilter{Subject: "bob"}}) {
		if g.Revoked() != (g.ID == "g5") {
			t.Errorf("%s: revoked %v", g.ID, g.Revoked())
		}
	}
	if _, _, err := s.ListGrants(ctx, store.GrantQuery{After: "not a cursor!"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("a cursor no listing made: %v, want ErrBadCursor", err)
	}
}

func mustList(t *testing.T, s store.Store, q store.GrantQuery) []store.GrantSummary {
	t.Helper()
	got, _, err := s.ListGrants(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// testListGrantsPaging walks 2,300 grants (two clients, interleaved) a
// page at a time: every grant of the client once, in id order, no gap, no
// duplicate, a cursor after each full page and none after the last.
func testListGrantsPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 2300
	mk := func(i int) (store.Grant, store.RefreshToken, error) {
		id := fmt.Sprintf("p%05d", (i*7919)%n) // not in id order
		g := store.Grant{ID: id, ClientID: []string{"even", "odd"}[i%2], Subject: "sub", Scopes: []string{"openid"},
			CreatedAt: at(0), ExpiresAt: at(time.Hour)}
		return g, store.RefreshToken{Hash: "h-" + id, GrantID: id, CreatedAt: at(0), ExpiresAt: at(time.Hour)}, nil
	}
	if p, ok := s.(store.Prefiller); ok {
		if err := p.Prefill(ctx, n, mk, nil); err != nil {
			t.Fatal(err)
		}
	} else {
		for i := range n {
			g, tok, _ := mk(i)
			if err := s.CreateGrant(ctx, g, tok, store.Event{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	for i := range n {
		if g, _, _ := mk(i); g.ClientID == "even" {
			want = append(want, g.ID)
		}
	}
	slices.Sort(want)
	for _, limit := range []int{0, 100, 333} {
		var got []string
		q := store.GrantQuery{GrantFilter: store.GrantFilter{ClientID: "even"}, Limit: limit}
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatal("the cursor never ends")
			}
			page, next, err := s.ListGrants(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if next != "" && len(page) != q.PageSize() {
				t.Fatalf("limit %d: a page of %d with a next cursor", limit, len(page))
			}
			got = append(got, summaryIDs(page)...)
			if next == "" {
				break
			}
			q.After = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: walked %d grants, want %d in id order with no gap or duplicate", limit, len(got), len(want))
		}
	}
}
