package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
)

// prefillRows makes n distinct grants with their first tokens; 250 is not
// a multiple of the 100-row statement, so the short last one runs too.
func prefillRows(prefix string) (sqlite.PrefillRow, func(i int) (store.Grant, store.RefreshToken)) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(i int) (store.Grant, store.RefreshToken) {
		id := fmt.Sprintf("%s%05d", prefix, i)
		g := store.Grant{ID: id, ClientID: "bench", Subject: "sub", Scopes: []string{"openid", "offline_access"},
			AuthTime: now, AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		return g, store.RefreshToken{Hash: "h-" + id, GrantID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	return func(i int) (store.Grant, store.RefreshToken, error) { g, t := mk(i); return g, t, nil }, mk
}

func TestPrefillWritesWhatCreateGrantWould(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 250
	row, mk := prefillRows("g")
	var calls []int
	if err := db.Prefill(ctx, n, row, func(done int) { calls = append(calls, done) }); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0] != n {
		t.Errorf("progress heard %v, want [%d]", calls, n)
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
	live, err := db.LiveTokens(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if live[id] != 1 {
			t.Fatalf("grant %s: %d live tokens, want 1", id, live[id])
		}
	}
	// A rotation leaves one live token; a revoked grant has none.
	now := time.Now()
	if err := db.RotateRefreshToken(ctx, "h-"+ids[0], now, store.RefreshToken{Hash: "h2", GrantID: ids[0], Generation: 1,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RevokeGrant(ctx, ids[1], now); err != nil {
		t.Fatal(err)
	}
	live, err = db.LiveTokens(ctx, ids[:3])
	if err != nil {
		t.Fatal(err)
	}
	if live[ids[0]] != 1 || live[ids[2]] != 1 {
		t.Errorf("live tokens %v: want 1 for the rotated and the untouched grant", live)
	}
	if n, ok := live[ids[1]]; ok {
		t.Errorf("revoked grant counted with %d live tokens", n)
	}
	// The same rows again collide: ErrConflict, as CreateGrant would.
	if err := db.Prefill(ctx, 1, row, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate prefill: %v, want ErrConflict", err)
	}
}
