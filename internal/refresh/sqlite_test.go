package refresh_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// TestChainOnSQLite runs a grant through 1,000 refreshes on the real
// embedded store, a minute apart: the table holds two rows for it, the
// janitor (DeleteExpired) then sweeps the predecessor, and the first token,
// presented after all that, is still recognised as reuse and revokes the
// grant.
func TestChainOnSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tollgate.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := testclock.At(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	svc := refresh.New(st, testKeys, clk.Now, slog.New(slog.NewTextHandler(logs, nil)))
	p := oneTime
	p.IdleLifetime = 10 * time.Minute
	f := &fixture{clk: clk, svc: svc, ctx: ctx, logs: logs}

	first := f.issue(t, p)
	tok := first.Token
	for range 1000 {
		clk.Add(time.Minute)
		tok = mustRefresh(t, f, tok, p).Token
	}
	rows := func() int {
		t.Helper()
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens WHERE grant_id = ?`, first.Grant.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rows(); n != 2 {
		t.Fatalf("after 1,000 refreshes the grant holds %d token rows, want 2", n)
	}

	// Past the predecessor's idle expiry, not the live token's.
	clk.Add(9*time.Minute + 30*time.Second)
	if _, err := st.DeleteExpired(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 1 {
		t.Fatalf("after the sweep the grant holds %d token rows, want 1", n)
	}

	_, err = f.refresh(first.Token, p)
	wantErr(t, err, refresh.ErrReused)
	_, err = f.refresh(tok, p)
	wantErr(t, err, refresh.ErrRevoked)
	g, newest, err := st.GrantChain(ctx, first.Grant.ID)
	if err != nil || !g.Revoked() || newest != 1000 {
		t.Fatalf("grant after reuse: revoked %v, newest generation %d, %v; want revoked at 1000", g.Revoked(), newest, err)
	}
	wantLog(t, f, "event=refresh_token_reuse", "generation=0", "row_gone=true")
}
