package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/gctune"
)

// configFlags are the flags every command that needs a configuration shares.
type configFlags struct {
	dev    bool
	path   string
	listen string // dev only: another address than 127.0.0.1:8080
}

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.dev, "dev", false, "development mode: SQLite under ./.tollgate, a demo client and a demo user")
	fs.StringVar(&c.path, "config", "", "path to tollgate.yaml")
	fs.StringVar(&c.listen, "listen", "", "with --dev: listen on this address instead of 127.0.0.1:8080 (the issuer follows)")
}

// load returns the finished configuration, and in dev mode the demo credentials.
func (c *configFlags) load() (*config.Config, *devCredentials, error) {
	switch {
	case c.dev && c.path != "":
		return nil, nil, errors.New("use either --dev or --config, not both")
	case c.listen != "" && !c.dev:
		return nil, nil, errors.New("--listen goes with --dev; set listen in the configuration file otherwise")
	case c.dev:
		return devConfig(".tollgate", c.listen)
	case c.path != "":
		cfg, err := config.Load(c.path)
		return cfg, nil, err
	default:
		return nil, nil, errors.New("say which configuration to use: --config tollgate.yaml, or --dev")
	}
}

func cmdServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cf configFlags
	cf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, demo, err := cf.load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	// Before the store opens: start-up hashes the configured users'
	// passwords, and the collector should already know its floor.
	gc, gcSays, err := gctune.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	if gc != nil {
		defer gc.Stop()
	}
	log.Info(gcSays)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	log.Info("tollgate is serving", "version", app.Version(), "issuer", cfg.Issuer, "listen", l.Addr().String(), "tls", cfg.TLS.Enabled(),
		"trusted_proxies", len(cfg.TrustedProxies), "store", storeKind(cfg.Storage), "storage", app.StorageLabel(cfg.Storage), "node", a.NodeID,
		"clients", len(cfg.Clients), "users", len(cfg.Users))
	if demo != nil {
		fmt.Print(demo.banner(cfg.Issuer))
	}
	return a.Serve(ctx, l)
}

// newLogger is the configuration's logger (log_level, log_format) on
// standard error.
func newLogger(cfg *config.Config) *slog.Logger { return app.NewLogger(os.Stderr, cfg) }

// storeKind names the backend for the start line.
func storeKind(storage string) string {
	if config.IsPostgres(storage) {
		return "postgres"
	}
	return "sqlite"
}
