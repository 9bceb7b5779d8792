package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/console"
	"github.com/tollgate-oidc/tollgate/internal/metrics"
	"github.com/tollgate-oidc/tollgate/internal/oauth"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// operate is the metrics and the admin listener of one node.
type operate struct {
	metrics *metrics.Metrics
	admin   *admin.Server // nil: the admin listener is off
	token   string        // the admin token, "" when none was found
	addr    atomic.Pointer[string]
}

// openOperate builds the metrics over st and finds the admin token. It
// returns the store the hot paths should use: st with its round trips
// timed. The admin listener itself is built by openAdmin, once the
// services its API and its client authorization need exist.
func openOperate(cfg *config.Config, st store.Store, o Options) (*operate, store.Store, error) {
	ids := make([]string, len(cfg.Clients))
	for i, c := range cfg.Clients {
		ids[i] = c.ID
	}
	batches, _ := st.(store.Batcher) // nil for a store that batches nothing
	retries, _ := st.(store.Retrier) // nil for a store that never retries
	op := &operate{metrics: metrics.New(metrics.Options{Clients: ids, Grants: st, Batches: batches, Retries: retries,
		Now: o.Now, Log: o.Log})}
	if cfg.Admin.Enabled() {
		tok, err := admin.LoadToken(cfg.Admin.TokenFile)
		if err != nil && !errors.Is(err, admin.ErrNoToken) {
			return nil, nil, err
		}
		op.token = tok // config.checkAdmin refuses no token off loopback
	}
	return op, op.metrics.Store(st), nil
}

// openAdmin builds the admin listener's handler, when admin.listen is set
// and someone can be authorized on it: the admin token, and clients with
// the tollgate:admin scope through client credentials.
func (a *App) openAdmin(issuer string, sys []byte) error {
	cfg := a.Config
	if !cfg.Admin.Enabled() {
		return nil
	}
	var (
		auth []admin.Authorizer
		err  error
	)
	var con *console.Console // the operator's console (/admin): only with the admin token
	if a.operate.token != "" {
		tok := admin.NewToken(a.operate.token)
		auth = append(auth, tok)
		if con, err = a.openConsole(tok, sys); err != nil {
			return err
		}
		auth = append(auth, con.Authorizers()...)
	}
	if slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.AllowsScope(config.ScopeAdmin) }) {
		auth = append(auth, &admin.ClientScope{Verify: a.Minter.VerifyAccessToken, Clients: cfg,
			Audience: oauth.AccessTokenAudience(issuer), Now: a.now})
	}
	if len(auth) == 0 {
		a.Log.LogAttrs(context.Background(), slog.LevelInfo, "admin listener off: no token ("+admin.EnvToken+
			" or admin.token_file) and no client with the "+config.ScopeAdmin+" scope",
			slog.String("admin_listen", cfg.Admin.Listen))
		return nil
	}
	srv, err := admin.New(admin.Options{Authorizers: auth, Metrics: a.operate.metrics.Handler(), Log: a.Log})
	if err != nil {
		return err
	}
	a.AdminAPI().Register(srv)
	if con != nil {
		con.Register(srv)
	}
	a.operate.admin = srv
	return nil
}

// openConsole builds the operator's console over this node's store and
// services: its session cookie MAC'd, and its CSRF tokens keyed, with keys
// derived from the system secret, so every node accepts every other's.
func (a *App) openConsole(tok *admin.Token, sys []byte) (*console.Console, error) {
	pages, err := web.NewConsole()
	if err != nil {
		return nil, err
	}
	return &console.Console{Store: a.Store, Config: a.Config, Refresh: a.Refresh, Keys: a.Keys, Users: a.Users,
		API: a.AdminAPI(), Token: tok, Sealer: console.Sealer{Key: derive(sys, "tollgate/console-session/v1")},
		CSRF:  &web.CSRF{Key: derive(sys, "tollgate/console-csrf/v1"), Path: console.Path},
		Pages: pages, Now: a.now, Log: a.Log}, nil
}

// AdminAPI is the admin API over this node's store, services and keys:
// what the admin listener serves, and what the command line runs in
// process when it opens the store with --config.
func (a *App) AdminAPI() *admin.API {
	return &admin.API{Store: a.Store, Config: a.Config, Now: a.now, Node: a.NodeID, Log: a.Log,
		Clients: a.Clients, Refresh: a.Refresh, Keys: a.Keys}
}

// listenAdmin opens the admin listener, if there is one: before the main
// listener serves, so a taken port stops the start.
func (a *App) listenAdmin() (net.Listener, error) {
	if a.operate.admin == nil {
		return nil, nil
	}
	l, err := net.Listen("tcp", a.Config.Admin.Listen)
	if err != nil {
		return nil, fmt.Errorf("admin.listen: %w", err)
	}
	addr := l.Addr().String()
	a.operate.addr.Store(&addr)
	a.Log.LogAttrs(context.Background(), slog.LevelInfo, "admin listener", slog.String("admin_listen", addr))
	return l, nil
}

// AdminAddr is the address the admin listener is bound to, once Serve has
// opened it; "" before, or when it is off.
func (a *App) AdminAddr() string {
	if p := a.operate.addr.Load(); p != nil {
		return *p
	}
	return ""
}

// Metrics is the node's metrics registry and instruments.
func (a *App) Metrics() *metrics.Metrics { return a.operate.metrics }
