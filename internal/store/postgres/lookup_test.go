package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// A batch of lookups answers each one as a lookup alone would: its own
// token and grant, the same token twice, and not found for a hash no
// grant holds or one asked for in another grant. A legacy lookup (grant
// "") finds by hash alone a token stored before migration 0010 (in
// legacy_refresh_hashes), and no other.
func TestLookupBatch(t *testing.T) {
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2", "g3")
	if _, err := db.Pool().Exec(context.Background(), `INSERT INTO legacy_refresh_hashes (hash, grant_id) VALUES ('rt0-g1', 'g1')`); err != nil {
		t.Fatal(err)
	}
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
		postgres.Lookup{GrantID: "", Hash: "rt0-g2"},
	)
	for i, want := range []struct {
		grant    string // "": not found
		consumed bool
	}{{"g2", false}, {"g1", false}, {"", false}, {"", false}, {"g2", false}, {"g1", false}, {"g3", true}, {"", false}} {
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

// A lookup batch tried again (db.run, after a try that failed) answers
// from its last try's rows only: a token the first try read and that has
// gone since is not found, not the first try's stale copy, and a token
// still there is found again.
func TestLookupRetryForgetsEarlierTry(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Schema(t, "tg", nil), postgres.Options{})
	defer db.Close()
	grants(t, db, "g1", "g2")
	got := db.LookupTriedTwice(func() {
		// Between the tries g1's first token is rotated twice, so the
		// second rotation drops it (a grant keeps its live token and the
		// one that token replaced).
		for gen := 1; gen <= 2; gen++ {
			old := fmt.Sprintf("rt%d-g1", gen-1)
			if err := db.RotateRefreshToken(ctx, old, time.Now(), successor("g1", gen)); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.TokenRows(ctx, "g1"); err != nil || n != 2 {
			t.Fatalf("g1 holds %d token rows (%v), want 2: rt0-g1 not dropped", n, err)
		}
	}, postgres.Lookup{GrantID: "g1", Hash: "rt0-g1"}, postgres.Lookup{GrantID: "g2", Hash: "rt0-g2"})
	if !errors.Is(got[0].Err, store.ErrNotFound) {
		t.Errorf("a token gone between the tries: err = %v, token %q; want ErrNotFound", got[0].Err, got[0].Token.Hash)
	}
	if got[1].Err != nil || got[1].Token.Hash != "rt0-g2" || got[1].Grant.ID != "g2" {
		t.Errorf("a token still there: %+v; want rt0-g2 of g2", got[1])
	}
}

// The batched hot path works in every query mode pgx has, since doc.go
// tells PgBouncer users to set one (default_query_exec_mode=exec): a
// rotation batch, with a statement that fails it, a lookup batch and a
// jti batch give the answers they give in the default mode.
func TestBatchesInEveryQueryMode(t *testing.T) {
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			db := open(t, pgtest.Schema(t, "tg", map[string]string{"default_query_exec_mode": mode}), postgres.Options{})
			defer db.Close()
			grants(t, db, "g1", "g2")
			if errs := db.RotateBatch(first("g1"), taken(t, db, "g2")); errs[0] != nil || !errors.Is(errs[1], store.ErrConflict) {
				t.Errorf("rotations: %v; want nil, ErrConflict", errs)
			}
			got := db.LookupBatch(postgres.Lookup{GrantID: "g1", Hash: "rt1-g1"}, postgres.Lookup{GrantID: "g1", Hash: "rt0-g1"},
				postgres.Lookup{GrantID: "g2", Hash: "rt1-g2"}, postgres.Lookup{GrantID: "g2", Hash: "rt2-g2"})
			if got[0].Err != nil || got[0].Token.Consumed() || got[1].Err != nil || !got[1].Token.Consumed() ||
				got[2].Err != nil || got[2].Token.Consumed() || !errors.Is(got[3].Err, store.ErrNotFound) {
				t.Errorf("lookups: %+v; want the successor live, its predecessor consumed, g2's token live and no successor", got)
			}
			now := time.Now()
			use := postgres.JTIUse{ClientID: "c", JTI: "j", ExpiresAt: now.Add(time.Hour), Now: now}
			if errs := db.JTIBatch(use, use); errs[0] != nil || !errors.Is(errs[1], store.ErrConflict) {
				t.Errorf("jti uses: %v; want nil, ErrConflict", errs)
			}
		})
	}
}
