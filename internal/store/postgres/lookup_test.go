package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// A batch of lookups answers each one as a lookup alone would: its own
// token and grant, the same token twice, and not found for a hash no
// grant holds or one asked for in another grant. A legacy lookup (grant
// "") finds its token by hash alone.
func TestLookupBatch(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2", "g3")
	if err := db.RotateRefreshToken(context.Background(), "rt0-g3", time.Now(), successor("g3", 1)); err != nil {
		t.Fatal(err)
	}
	got := db.LookupBatch(
		postgres.Lookup{GrantID: "g2", Hash: "rt0-g2"},
		postgres.Lookup{GrantID: "g1", Hash: "rt0-g1"},
		postgres.Lookup{GrantID: "g1", Hash: "rt0-nope"},
		postgres.Lookup{GrantID: "g1", Hash: "rt0-g2"},
		postgres.Lookup{GrantID: "g2", Hash: "rt0-g2"},
		postgres.Lookup{GrantID: "", Hash: "rt0-g1"},
		postgres.Lookup{GrantID: "g3", Hash: "rt0-g3"},
	)
	for i, want := range []struct {
		grant    string // "": not found
		consumed bool
	}{{"g2", false}, {"g1", false}, {"", false}, {"", false}, {"g2", false}, {"g1", false}, {"g3", true}} {
		l := got[i]
		switch {
		case want.grant == "":
			if !errors.Is(l.Err, store.ErrNotFound) {
				t.Errorf("lookup %d (%s in %q): err = %v, want ErrNotFound", i, l.Hash, l.GrantID, l.Err)
			}
		case l.Err != nil:
			t.Errorf("lookup %d (%s in %q): %v", i, l.Hash, l.GrantID, l.Err)
		case l.Token.Hash != l.Hash || l.Token.GrantID != want.grant || l.Grant.ID != want.grant || l.Token.Consumed() != want.consumed:
			t.Errorf("lookup %d (%s in %q) = token %s of %s (consumed %v), grant %s; want the token, of %s, consumed %v",
				i, l.Hash, l.GrantID, l.Token.Hash, l.Token.GrantID, l.Token.Consumed(), l.Grant.ID, want.grant, want.consumed)
		}
	}
}
