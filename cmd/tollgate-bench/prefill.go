package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
)

// prefillPlan is what to write straight into the store.
type prefillPlan struct {
	grants, drive int
	clientID      string
	username      string
	scopes        []string
	// proofKey is -dpop's key thumbprint: the grants are bound to it (RFC
	// 9449 §5), and their first tokens record it as the key proved, as a
	// password grant with a proof would.
	proofKey string
}

// prefill writes p.grants live grants, each with its first refresh token
// in the real format (mint.RefreshKeys.First under the configuration's
// system secret, so the server accepts them), and returns the chains of
// p.drive of them, spread evenly over the rest (ballast).
func prefill(ctx context.Context, cfg *config.Config, p prefillPlan, log io.Writer) ([]*chain, error) {
	c, ok := cfg.Client(p.clientID)
	if !ok {
		return nil, fmt.Errorf("-client %q is not in the configuration", p.clientID)
	}
	u, ok := cfg.User(p.username)
	if !ok {
		return nil, fmt.Errorf("-user %q is not in the configuration: the grants' subject must be a user the server knows", p.username)
	}
	pol := refresh.PolicyFor(c)
	st, err := app.OpenStore(ctx, cfg, app.StoreOptions{})
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()
	sys, err := app.SystemSecret(ctx, cfg, st, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		return nil, err
	}
	keys := mint.NewRefreshKeys(sys)
	stride := max(1, p.grants/max(1, p.drive))
	var chains []*chain
	now := time.Now().UTC().Truncate(time.Microsecond)
	grantExp := now.Add(pol.MaxLifetime)
	idleExp := grantExp // as refresh.Policy: idle expiry, never past the grant's cap
	if pol.IdleLifetime > 0 && now.Add(pol.IdleLifetime).Before(grantExp) {
		idleExp = now.Add(pol.IdleLifetime)
	}
	row := func(i int) (store.Grant, store.RefreshToken, error) {
		id := mint.NewID()
		tok, err := keys.First(id)
		if err != nil {
			return store.Grant{}, store.RefreshToken{}, err
		}
		if i%stride == 0 && len(chains) < p.drive {
			chains = append(chains, &chain{token: tok})
		}
		g := store.Grant{ID: id, ClientID: c.ID, Subject: u.Subject, Scopes: p.scopes, AuthTime: now,
			AMR: []string{"pwd"}, CreatedAt: now, ExpiresAt: grantExp, DPoPJKT: p.proofKey}
		return g, store.RefreshToken{Hash: mint.HashToken(tok), GrantID: id, CreatedAt: now, ExpiresAt: idleExp,
			ProofKey: p.proofKey}, nil
	}
	t0 := time.Now()
	last := t0
	progress := func(done int) {
		if time.Since(last) >= 5*time.Second || done == p.grants {
			last = time.Now()
			fmt.Fprintf(log, "prefill: %d of %d grants, %.0f/s\n", done, p.grants, float64(done)/time.Since(t0).Seconds())
		}
	}
	if bulk, ok := st.(store.Prefiller); ok {
		err = bulk.Prefill(ctx, p.grants, row, progress)
	} else {
		err = fmt.Errorf("prefill: store %T has no bulk writer", st)
	}
	if err != nil {
		return nil, err
	}
	el := time.Since(t0)
	var size int64
	if db, ok := st.(*postgres.DB); ok {
		if size, err = db.GrantBytes(ctx); err != nil {
			return nil, err
		}
	}
	// Closing SQLite checkpoints its WAL into the file: measure after.
	closed = true
	if err := st.Close(); err != nil {
		return nil, err
	}
	if size == 0 {
		size = sqliteBytes(cfg)
	}
	fmt.Fprintf(log, "prefill: wrote %d grants in %s (%.0f grants/s); store %.1f MB (%s), %.0f bytes per grant written\n",
		p.grants, el.Round(time.Millisecond), float64(p.grants)/el.Seconds(), float64(size)/1e6, sizeWhat(cfg), float64(size)/float64(p.grants))
	return chains, nil
}

// sqliteBytes is the size on disk of the SQLite file and its WAL, if any.
func sqliteBytes(cfg *config.Config) int64 {
	path := strings.TrimPrefix(cfg.Storage, "sqlite:")
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func sizeWhat(cfg *config.Config) string {
	if config.IsPostgres(cfg.Storage) {
		return "grants and refresh_tokens with their indexes"
	}
	return "database file and WAL"
}
