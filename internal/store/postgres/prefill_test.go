package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

func TestPrefillWritesWhatCreateGrantWould(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg_prefill", nil), postgres.Options{})
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(i int) (store.Grant, store.RefreshToken) {
		id := fmt.Sprintf("g%05d", i)
		g := store.Grant{ID: id, ClientID: "bench", Subject: "sub", Scopes: []string{"openid", "offline_access"},
			AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		return g, store.RefreshToken{Hash: "h-" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	const n = 250
	row := func(i int) (store.Grant, store.RefreshToken, error) { g, tok := mk(i); return g, tok, nil }
	if err := db.Prefill(ctx, n, row, nil); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range n {
		wantG, wantT := mk(i)
		ids[i] = wantG.ID
		tok, g, err := db.RefreshToken(ctx, wantT.Hash)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if g.ID != wantG.ID || g.Subject != "sub" || len(g.Scopes) != 2 || !g.ExpiresAt.Equal(wantG.ExpiresAt) ||
			tok.Generation != 0 || tok.Consumed() || !tok.ExpiresAt.Equal(wantT.ExpiresAt) {
			t.Fatalf("row %d reads back as %+v %+v", i, g, tok)
		}
	}
	if _, newest, err := db.GrantChain(ctx, ids[7]); err != nil || newest != 0 {
		t.Errorf("GrantChain: newest %d, %v; want 0", newest, err)
	}
	now2 := time.Now()
	if err := db.RotateRefreshToken(ctx, "h-"+ids[0], now2, store.RefreshToken{Hash: "h2", GrantID: ids[0], Generation: 1,
		CreatedAt: now2, ExpiresAt: now2.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeGrant(ctx, ids[1], now2); err != nil {
		t.Fatal(err)
	}
	live, err := db.LiveTokens(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		want := 1
		if i == 1 {
			want = 0
		}
		if live[id] != want {
			t.Fatalf("grant %s: %d live tokens, want %d", id, live[id], want)
		}
	}
	if size, err := db.GrantBytes(ctx); err != nil || size <= 0 {
		t.Errorf("GrantBytes: %d, %v", size, err)
	}
	if err := db.Prefill(ctx, 1, row, nil); err == nil {
		t.Error("a duplicate prefill succeeded")
	}
}
