package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

func BenchmarkZZSeqRotate(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "x.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	g := store.Grant{ID: "g", ClientID: "c", Subject: "s", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	cur := "h0"
	if err := db.CreateGrant(ctx, g, store.RefreshToken{Hash: cur, GrantID: "g", ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		next := fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(i))))
		if err := db.RotateRefreshToken(ctx, cur, now, store.RefreshToken{Hash: next, GrantID: "g", ExpiresAt: now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		cur = next
	}
}

func BenchmarkZZFind(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "x.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	g := store.Grant{ID: "g", ClientID: "c", Subject: "s", Scopes: []string{"a", "b"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateGrant(ctx, g, store.RefreshToken{Hash: "h0", GrantID: "g", ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := db.RefreshToken(ctx, "h0"); err != nil {
			b.Fatal(err)
		}
	}
}
