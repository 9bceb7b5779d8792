package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/metrics"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// operate is the metrics and the admin listener of one node.
type operate struct {
	metrics *metrics.Metrics
	admin   *admin.Server // nil: the admin listener is off
	addr    atomic.Pointer[string]
}

// openOperate builds the metrics over st and, when admin.listen is set and
// a token is found, the admin listener's handler. It returns the store the
// hot paths should use: st with its round trips timed.
func openOperate(cfg *config.Config, st store.Store, o Options) (*operate, store.Store, error) {
	ids := make([]string, len(cfg.Clients))
	for i, c := range cfg.Clients {
		ids[i] = c.ID
	}
	op := &operate{metrics: metrics.New(metrics.Options{Clients: ids, Grants: st, Now: o.Now, Log: o.Log})}
	if !cfg.Admin.Enabled() {
		return op, op.metrics.Store(st), nil
	}
	tok, err := admin.LoadToken(cfg.Admin.TokenFile)
	switch {
	case errors.Is(err, admin.ErrNoToken) && cfg.Admin.Loopback():
		// config.checkAdmin refuses this off loopback.
		o.Log.LogAttrs(context.Background(), slog.LevelInfo, "admin listener off: no token ("+admin.EnvToken+" or admin.token_file)",
			slog.String("admin_listen", cfg.Admin.Listen))
		return op, op.metrics.Store(st), nil
	case err != nil:
		return nil, nil, err
	}
	op.admin, err = admin.New(admin.Options{
		Authorizers: []admin.Authorizer{admin.NewToken(tok)},
		Metrics:     op.metrics.Handler(),
		Log:         o.Log,
	})
	if err != nil {
		return nil, nil, err
	}
	return op, op.metrics.Store(st), nil
}

// AdminAPI is the admin API over this node's store, services and keys:
// what the admin listener serves, and what the command line runs in
// process when it opens the store with --config.
func (a *App) AdminAPI() *admin.API {
	return &admin.API{Store: a.Store, Config: a.Config, Now: a.now, Node: a.NodeID, Log: a.Log,
		Refresh: a.Refresh,
		Keys:    a.Keys,
	}
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
