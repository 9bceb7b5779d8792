package refresh_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The store keeps two tokens per grant; these tests present tokens whose
// rows are long gone and check that their names decide as the rows did.

// rotateN refreshes n times from tok and returns every token of the chain,
// tok first.
func rotateN(t *testing.T, f *fixture, tok string, n int) []string {
	t.Helper()
	chain := []string{tok}
	for range n {
		tok = mustRefresh(t, f, tok, oneTime).Token
		chain = append(chain, tok)
	}
	return chain
}

func wantRow(t *testing.T, f *fixture, tok string, kept bool) {
	t.Helper()
	_, _, err := f.st.RefreshToken(f.ctx, mint.ClaimedGrantID(tok), mint.HashToken(tok))
	if kept && err != nil || !kept && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("row of %.30q...: err = %v, want kept=%v", tok, err, kept)
	}
}

func wantRevoked(t *testing.T, f *fixture, grantID string, revoked bool) {
	t.Helper()
	g, _, err := f.st.GrantChain(f.ctx, grantID)
	if err != nil || g.Revoked() != revoked {
		t.Fatalf("grant %s: revoked %v, %v; want revoked %v", grantID, g.Revoked(), err, revoked)
	}
}

func wantLog(t *testing.T, f *fixture, parts ...string) {
	t.Helper()
	logs := f.logs.String()
	for _, p := range parts {
		if !strings.Contains(logs, p) {
			t.Errorf("audit log lacks %q:\n%s", p, logs)
		}
	}
}

// After 1,000 rotations generation 0's row is long gone, yet presenting it
// is reuse: the grant is revoked, the live token fails, and the audit log
// says so as for any reuse, with the generation and that the row was gone.
func TestOldGenerationIsReuseAfterItsRowIsGone(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	chain := rotateN(t, f, first.Token, 1000)
	live := chain[len(chain)-1]
	wantRow(t, f, chain[0], false)
	wantRow(t, f, chain[998], false)
	wantRow(t, f, chain[999], true) // the live token's predecessor, for a retry

	_, err := f.refresh(chain[0], oneTime)
	wantErr(t, err, refresh.ErrReused)
	wantRevoked(t, f, first.Grant.ID, true)
	_, err = f.refresh(live, oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	wantLog(t, f, "event=refresh_token_reuse", "grant_id="+first.Grant.ID, "client_id=app", "subject=alice",
		"generation=0", "newest_generation=1000", "row_gone=true")
	if logs := f.logs.String(); strings.Contains(logs, chain[0]) || strings.Contains(logs, live) {
		t.Fatal("the audit log holds a token")
	}
	// Presented again, the grant is already revoked: no second event.
	_, err = f.refresh(chain[1], oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	if n := strings.Count(f.logs.String(), "event=refresh_token_reuse"); n != 1 {
		t.Errorf("%d reuse events, want 1", n)
	}
}

// The generation just two behind the live token is the newest whose row
// the rotation deleted: reuse too.
func TestGrandparentIsReuse(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	chain := rotateN(t, f, first.Token, 2)
	wantRow(t, f, chain[0], false)
	_, err := f.refresh(chain[0], oneTime) // within the grace window, but its successor was used
	wantErr(t, err, refresh.ErrReused)
	_, err = f.refresh(chain[2], oneTime)
	wantErr(t, err, refresh.ErrRevoked)
}

// An old token presented by another client is answered as unknown,
// logged, and revokes nothing: the presenter may not be its holder.
func TestOldGenerationFromAnotherClientRevokesNothing(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	chain := rotateN(t, f, first.Token, 5)
	_, err := f.svc.Refresh(f.ctx, chain[0], "intruder", refresh.Proof{}, oneTime, nil)
	wantErr(t, err, refresh.ErrWrongClient)
	wantRevoked(t, f, first.Grant.ID, false)
	wantLog(t, f, "event=refresh_token_wrong_client", "presented_by=intruder")
	mustRefresh(t, f, chain[5], oneTime)
}

// A name nobody minted (an edited generation or grant, a forged tag, a tag
// under another secret) is unknown and revokes nothing, nor does a
// genuine name of a generation the chain has not reached (only a store
// restored from a backup shows one), nor one of a grant the store lacks.
func TestForgedOrImpossibleNamesRevokeNothing(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	chain := rotateN(t, f, first.Token, 5)
	id := first.Grant.ID
	other := mint.NewRefreshKeys([]byte("ffffffffffffffffffffffffffffffff"))
	forgedOld, _ := other.Successor(id, 1, "x")
	ahead, _ := testKeys.Successor(id, 5000, "x")
	noGrant, _ := testKeys.Successor(mint.NewID(), 1, "x")
	tok := chain[0]
	last := tok[len(tok)-1:]
	for name, v := range map[string]string{
		"edited generation":  strings.Replace(tok, ".0.", ".1.", 1),
		"edited grant":       strings.Replace(tok, id, mint.NewID(), 1),
		"edited tag":         tok[:len(tok)-1] + map[bool]string{true: "B", false: "A"}[last == "A"],
		"another secret":     forgedOld,
		"ahead of the chain": ahead,
		"no such grant":      noGrant,
	} {
		_, err := f.refresh(v, oneTime)
		if !errors.Is(err, refresh.ErrUnknown) {
			t.Errorf("%s: err = %v, want ErrUnknown", name, err)
		}
		if v == ahead {
			continue // minted here for this grant: revoking it is the client's right (below)
		}
		if ok, err := f.svc.Revoke(f.ctx, v, "app"); ok || err != nil {
			t.Errorf("%s: Revoke = %v, %v; want false", name, ok, err)
		}
	}
	wantRevoked(t, f, id, false)
	wantLog(t, f, "event=refresh_token_ahead_of_store", "generation=5000", "newest_generation=5")
	mustRefresh(t, f, chain[5], oneTime)
	if ok, err := f.svc.Revoke(f.ctx, ahead, "app"); !ok || err != nil {
		t.Errorf("Revoke(a genuine token ahead of the chain) = %v, %v; want true", ok, err)
	}
}

// The grant's own state still comes first: an old token of a revoked
// grant is ErrRevoked, of a grant past its cap ErrExpired, and neither
// writes anything.
func TestOldGenerationOfADeadGrant(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	chain := rotateN(t, f, first.Token, 3)
	f.clk.Set(first.Grant.ExpiresAt)
	_, err := f.refresh(chain[0], oneTime)
	wantErr(t, err, refresh.ErrExpired)
	wantRevoked(t, f, first.Grant.ID, false)

	f = newFixture(t)
	first = f.issue(t, oneTime)
	chain = rotateN(t, f, first.Token, 3)
	if _, err := f.svc.RevokeGrant(f.ctx, first.Grant.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	_, err = f.refresh(chain[0], oneTime)
	wantErr(t, err, refresh.ErrRevoked)
	if strings.Contains(f.logs.String(), "event=refresh_token_reuse") {
		t.Error("a revoked grant's old token was logged as reuse")
	}
}

// The janitor sweeps a consumed token whose idle expiry fell inside the
// grace window. A retry of it still gets the same successor, as with its
// row, and after the grace window it is reuse, as with its row.
func TestRetryAfterTheJanitorSweptTheRow(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	f.clk.Set(first.ExpiresAt.Add(-time.Second))
	next := mustRefresh(t, f, first.Token, oneTime)
	f.clk.Add(2 * time.Second) // past the first token's idle expiry, within grace
	if _, err := f.st.DeleteExpired(f.ctx, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	wantRow(t, f, first.Token, false)

	again := mustRefresh(t, f, first.Token, oneTime)
	if again.Token != next.Token || !again.Retried {
		t.Fatalf("retry after the sweep got %.30q... (retried=%v), want the successor", again.Token, again.Retried)
	}
	wantLog(t, f, "event=refresh_token_retry", "row_gone=true")
	f.clk.Add(oneTime.ReuseGrace)
	_, err := f.refresh(first.Token, oneTime)
	wantErr(t, err, refresh.ErrReused)
	wantRevoked(t, f, first.Grant.ID, true)
}

// Revoking an old token of a live grant its client owns revokes the grant
// (RFC 7009 §2.1); another client's request changes nothing (§2.2: it is
// answered as an invalid token). Introspection calls an old token inactive
// and revokes nothing.
func TestRevokeAndInspectAnOldGeneration(t *testing.T) {
	f := newFixture(t)
	first := f.issue(t, oneTime)
	chain := rotateN(t, f, first.Token, 4)
	if _, err := f.svc.Inspect(f.ctx, chain[0]); !errors.Is(err, refresh.ErrUnknown) {
		t.Errorf("Inspect(old) = %v, want ErrUnknown (inactive)", err)
	}
	if ok, err := f.svc.Revoke(f.ctx, chain[0], "intruder"); ok || err != nil {
		t.Fatalf("another client's Revoke = %v, %v; want false", ok, err)
	}
	wantRevoked(t, f, first.Grant.ID, false)
	if ok, err := f.svc.Revoke(f.ctx, chain[0], "app"); !ok || err != nil {
		t.Fatalf("Revoke(old) = %v, %v; want true", ok, err)
	}
	_, err := f.refresh(chain[4], oneTime)
	wantErr(t, err, refresh.ErrRevoked)
}

// legacyGrant stores a grant with a token in the shape earlier builds
// issued (tgrt_ and 43 random characters), as such a database holds it.
func legacyGrant(t *testing.T, f *fixture) (string, store.Grant) {
	t.Helper()
	now := f.clk.Now()
	g := store.Grant{ID: mint.NewID(), ClientID: "app", Subject: "alice", Scopes: []string{"openid", "offline_access"},
		AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(oneTime.MaxLifetime)}
	tok := mint.NewLegacyRefreshToken()
	if err := f.st.CreateGrant(f.ctx, g, store.RefreshToken{Hash: mint.HashToken(tok), GrantID: g.ID,
		CreatedAt: now, ExpiresAt: now.Add(oneTime.IdleLifetime)}, store.Event{}); err != nil {
		t.Fatal(err)
	}
	return tok, g
}

// A legacy token rotates into a named successor, retries and reuse work on
// it while its row is there, and once its row is gone it is unknown (it
// has no name): nothing is revoked.
func TestLegacyTokensStillRotate(t *testing.T) {
	f := newFixture(t)
	legacy, g := legacyGrant(t, f)
	next := mustRefresh(t, f, legacy, oneTime)
	if form, name := testKeys.Open(next.Token); form != mint.NamedRefresh || name != (mint.RefreshName{GrantID: g.ID, Generation: 1}) {
		t.Fatalf("successor of a legacy token: %v %+v, want named generation 1", form, name)
	}
	if again := mustRefresh(t, f, legacy, oneTime); again.Token != next.Token || !again.Retried {
		t.Fatal("retry of a legacy token did not get its successor")
	}
	third := mustRefresh(t, f, next.Token, oneTime)
	wantRow(t, f, legacy, false)
	_, err := f.refresh(legacy, oneTime)
	wantErr(t, err, refresh.ErrUnknown)
	wantRevoked(t, f, g.ID, false)
	mustRefresh(t, f, third.Token, oneTime)

	// While its row is there, a legacy token replayed after grace is reuse.
	legacy, g = legacyGrant(t, f)
	mustRefresh(t, f, legacy, oneTime)
	f.clk.Add(oneTime.ReuseGrace + time.Second)
	_, err = f.refresh(legacy, oneTime)
	wantErr(t, err, refresh.ErrReused)
	wantRevoked(t, f, g.ID, true)
}

// An earlier build rotated a legacy token into a legacy successor
// (DeriveSuccessor) and the response was lost; the retry lands on this
// build within grace and gets that very successor, not a reuse verdict.
func TestRetryOfARotationByAnEarlierBuild(t *testing.T) {
	f := newFixture(t)
	legacy, g := legacyGrant(t, f)
	old := mint.DeriveSuccessor(mint.RotationKey([]byte("0123456789abcdef0123456789abcdef")), g.ID, 1, legacy)
	now := f.clk.Now()
	if err := f.st.RotateRefreshToken(f.ctx, mint.HashToken(legacy), now, store.RefreshToken{Hash: mint.HashToken(old),
		GrantID: g.ID, Generation: 1, CreatedAt: now, ExpiresAt: now.Add(oneTime.IdleLifetime)}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(oneTime.ReuseGrace / 2)
	again := mustRefresh(t, f, legacy, oneTime)
	if again.Token != old || !again.Retried {
		t.Fatalf("retry got %.30q... (retried=%v), want the earlier build's successor", again.Token, again.Retried)
	}
	wantRevoked(t, f, g.ID, false)
	next := mustRefresh(t, f, old, oneTime) // and it rotates on, into a named token
	if form, _ := testKeys.Open(next.Token); form != mint.NamedRefresh {
		t.Fatalf("successor of the legacy successor is %v, want named", form)
	}
}
