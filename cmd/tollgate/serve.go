package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/buildinfo"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/gctune"
)

// configFlags are the flags every command that needs a configuration shares.
type configFlags struct {
	dev    bool
	path   string
	listen string // dev only: another address than 127.0.0.1:8080
}

// register adds --config and --dev, which every verb that opens the store takes.
func (c *configFlags) register(fs *flag.FlagSet) {
	c.registerConfig(fs)
	fs.BoolVar(&c.dev, "dev", false, "development mode: SQLite under ./.tollgate, a demo client and a demo user")
}

// registerConfig adds --config alone.
func (c *configFlags) registerConfig(fs *flag.FlagSet) {
	fs.StringVar(&c.path, "config", "", "path to tollgate.yaml")
}

// registerListen adds --listen, which only serve --dev takes.
func (c *configFlags) registerListen(fs *flag.FlagSet) {
	fs.StringVar(&c.listen, "listen", "", "with --dev: listen on this address instead of 127.0.0.1:8080 (the issuer follows)")
}

// load returns the finished configuration, and in dev mode the demo credentials.
func (c *configFlags) load() (*config.Config, *devCredentials, error) {
	switch {
	case c.dev && c.path != "":
		return nil, nil, &usageError{msg: "use either --dev or --config, not both"}
	case c.listen != "" && !c.dev:
		return nil, nil, &usageError{msg: "--listen goes with --dev; set listen in the configuration file otherwise"}
	case c.dev:
		return devConfig(".tollgate", c.listen)
	case c.path != "":
		cfg, err := config.Load(c.path)
		return cfg, nil, err
	default:
		return nil, nil, &usageError{msg: "say which configuration to use: --config tollgate.yaml, or --dev"}
	}
}

func cmdServe(args []string) error {
	fs := newFlagSet("serve", "serve --config tollgate.yaml | --dev [--listen ADDR]")
	var cf configFlags
	cf.register(fs)
	cf.registerListen(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, demo, err := cf.load()
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	for _, w := range configWarnings(cfg) {
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
	// Start-up computed argon2id hashes of 19 MiB each (configured users'
	// plain passwords, the equaliser's dummies), which took the heap to
	// 57 MB in half of the starts measured. The runtime returns such memory
	// to the system over minutes, so under load the server then held about
	// 87 MiB instead of its steady 64-68 (docs/performance.md). One
	// collection that gives it back now, before serving.
	debug.FreeOSMemory()
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	log.Info("tollgate is serving", "version", buildinfo.Read().Version, "revision", buildinfo.Read().Revision, "issuer", cfg.Issuer, "listen", l.Addr().String(), "tls", cfg.TLS.Enabled(),
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
