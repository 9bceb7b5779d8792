package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// RunPrefill holds a backend's bulk writer for the load tool to what
// CreateGrant would have written: 250 grants (not a multiple of a 100-row
// statement, so a short last one runs too) that read back, rotate and
// revoke as any other, and count one live token each.
func RunPrefill(t *testing.T, s store.Prefiller) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(i int) (store.Grant, store.RefreshToken) {
		id := fmt.Sprintf("g%05d", i)
		g := store.Grant{ID: id, ClientID: "bench", Subject: "sub", Scopes: []string{"openid", "offline_access"},
			AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		return g, store.RefreshToken{Hash: "h-" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
			Node: "prefill", RemoteAddr: "198.51.100.7", UserAgent: "prefill/" + id}
	}
	row := func(i int) (store.Grant, store.RefreshToken, error) { g, tok := mk(i); return g, tok, nil }
	const n = 250
	var calls []int
	if err := s.Prefill(ctx, n, row, func(done int) { calls = append(calls, done) }); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0] != n {
		t.Errorf("progress heard %v, want [%d]", calls, n)
	}
	ids := make([]string, n)
	for i := range n {
		wantG, wantT := mk(i)
		ids[i] = wantG.ID
		tok, g, err := s.RefreshToken(ctx, wantT.GrantID, wantT.Hash)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if g.ID != wantG.ID || g.Subject != "sub" || len(g.Scopes) != 2 || !g.ExpiresAt.Equal(wantG.ExpiresAt) ||
			tok.Generation != 0 || tok.Consumed() || !tok.ExpiresAt.Equal(wantT.ExpiresAt) {
			t.Fatalf("row %d reads back as %+v %+v", i, g, tok)
		}
	}
	// The lineage columns are written too.
	if _, ts, err := s.GrantLineage(ctx, ids[3]); err != nil || len(ts) != 1 || ts[0].Node != "prefill" ||
		ts[0].RemoteAddr != "198.51.100.7" || ts[0].UserAgent != "prefill/"+ids[3] {
		t.Errorf("GrantLineage of a prefilled grant: %+v, %v", ts, err)
	}
	if _, newest, err := s.GrantChain(ctx, ids[7]); err != nil || newest != 0 {
		t.Errorf("GrantChain: newest %d, %v; want 0", newest, err)
	}
	live, err := s.LiveTokens(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if live[id] != 1 {
			t.Fatalf("grant %s: %d live tokens, want 1", id, live[id])
		}
	}
	// A rotation leaves one live token; a revoked grant has none.
	at := time.Now()
	if err := s.RotateRefreshToken(ctx, "h-"+ids[0], at, store.RefreshToken{Hash: "h2", GrantID: ids[0], Generation: 1,
		CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeGrant(ctx, ids[1], at, store.Event{}); err != nil {
		t.Fatal(err)
	}
	if live, err = s.LiveTokens(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		n, ok := live[id]
		switch {
		case i == 1 && ok:
			t.Errorf("revoked grant counted with %d live tokens", n)
		case i != 1 && n != 1:
			t.Errorf("grant %s: %d live tokens, want 1", id, n)
		}
	}
	// A first token made for another grant is refused, and nothing of its
	// transaction is written.
	stray := func(int) (store.Grant, store.RefreshToken, error) {
		g, tok := mk(n)
		tok.GrantID = ids[0]
		return g, tok, nil
	}
	if err := s.Prefill(ctx, 1, stray, nil); err == nil {
		t.Error("a prefill row whose token names another grant was accepted")
	}
	if _, _, err := s.RefreshToken(ctx, ids[0], fmt.Sprintf("h-g%05d", n)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused row's token: %v, want ErrNotFound", err)
	}
	// The same rows again collide: ErrConflict, as CreateGrant would.
	if err := s.Prefill(ctx, 1, row, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate prefill: %v, want ErrConflict", err)
	}
}
