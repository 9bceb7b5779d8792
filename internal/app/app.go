package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/certreload"
	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oauth"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// App is a wired server.
type App struct {
	Config  *config.Config
	Store   store.Store
	Keys    *keys.Set
	Minter  *mint.Minter
	Refresh *refresh.Service
	Server  *oauth.Server
	Log     *slog.Logger
	now     func() time.Time
	certs   *certreload.Reloader // nil without tls
}

// Options tune Open; the zero value is what production uses.
type Options struct {
	Now func() time.Time // the clock; time.Now when nil
	Log *slog.Logger     // discard when nil
}

// Open builds the server for a finished configuration.
func Open(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	st, err := OpenStore(ctx, cfg.Storage)
	if err != nil {
		return nil, err
	}
	sys, err := SystemSecret(ctx, cfg, st, o.Log)
	if err != nil {
		st.Close()
		return nil, err
	}
	ks, err := keys.Load(ctx, st, sys, o.Now())
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Keys: ks, Log: o.Log, now: o.Now}
	if cfg.TLS.Enabled() {
		// Loaded now, so a bad pair stops the start before anything listens.
		if a.certs, err = certreload.New(cfg.TLS.CertFile, cfg.TLS.KeyFile, certreload.Options{Now: o.Now, Log: o.Log}); err != nil {
			st.Close()
			return nil, err
		}
	}
	a.Minter = mint.NewMinter(ks, cfg.Issuer)
	audit := o.Log.With(slog.Bool("audit", true))
	a.Refresh = refresh.New(st, mint.NewRefreshKeys(sys), o.Now, audit)
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	pages, err := web.NewRenderer()
	if err != nil {
		st.Close()
		return nil, err
	}
	passwords, err := grant.NewPasswords(cfg, o.Now, audit)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.Server, err = oauth.New(oauth.Deps{
		Config: cfg,
		Auth: &clientauth.Authenticator{
			Clients: cfg, JTI: st, Issuer: issuer, Now: o.Now,
		},
		Grants: &grant.Handler{
			Users: cfg, Passwords: passwords, Refresh: a.Refresh, Minter: a.Minter, Codes: st, Now: o.Now,
			Audience: oauth.AccessTokenAudience(issuer), Log: audit,
		},
		Refresh: a.Refresh, Minter: a.Minter, Keys: ks, Store: st, Pages: pages,
		CSRF: &web.CSRF{Key: derive(sys, "tollgate/csrf/v1"), Secure: strings.HasPrefix(issuer, "https://"), Path: cookiePath(issuer)},
		Now:  o.Now, Log: o.Log,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// OpenStore opens the backend a storage URL names.
func OpenStore(ctx context.Context, storage string) (store.Store, error) {
	switch {
	case strings.HasPrefix(storage, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(storage, "sqlite:"))
	case strings.HasPrefix(storage, "postgres://"), strings.HasPrefix(storage, "postgresql://"):
		return nil, errors.New("storage: the PostgreSQL backend is not built yet; use sqlite:PATH")
	default:
		return nil, fmt.Errorf("storage: unknown scheme in %q; use sqlite:PATH", storage)
	}
}

// OpenExistingStore is OpenStore for a store that must already exist: the
// operator tools use it, so that a wrong path is an error instead of a new,
// empty database that matches nothing.
func OpenExistingStore(ctx context.Context, storage string) (store.Store, error) {
	if path, ok := strings.CutPrefix(storage, "sqlite:"); ok {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("storage: no database at %s: check --config and its storage key (a relative path is relative to the configuration file's folder)", path)
			}
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	return OpenStore(ctx, storage)
}

// Handler is the HTTP handler of the server.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Serve answers HTTP on l (HTTPS when tls is configured) until ctx ends,
// then shuts down gracefully, and removes expired records every sweep
// interval meanwhile. The limits come from the http block of the
// configuration: a client that never finishes its headers is cut off after
// read_header_timeout, however slowly it trickles them.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	h := a.Config.HTTP
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: h.ReadHeaderTimeout,
		ReadTimeout:       h.ReadTimeout,
		WriteTimeout:      h.WriteTimeout,
		IdleTimeout:       h.IdleTimeout,
		MaxHeaderBytes:    h.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if a.certs != nil {
		srv.TLSConfig = a.certs.TLSConfig()
	}
	go a.sweep(ctx, 10*time.Minute)
	errc := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			errc <- srv.ServeTLS(l, "", "") // the certificate comes from TLSConfig.GetCertificate
			return
		}
		errc <- srv.Serve(l)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// sweep deletes expired tokens, codes and assertion ids, so the tables
// hold only what can still be used or detected as reuse. It runs at least
// every sweepAtLeast: parked authorization requests live 15 minutes and
// pushed ones 60 seconds, and the bound on what a flood can leave in the
// store (issue 10, flaw 3) counts on them going soon after they expire.
// Each run is a few indexed DELETEs by expiry.
func (a *App) sweep(ctx context.Context, every time.Duration) {
	const sweepAtLeast = time.Minute
	t := time.NewTicker(min(every, sweepAtLeast))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := a.Store.DeleteExpired(ctx, a.now())
			if err != nil && ctx.Err() == nil {
				a.Log.Warn("sweeping expired records failed", "error", err)
			} else if n > 0 {
				a.Log.Debug("swept expired records", "count", n)
			}
		}
	}
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// derive makes a purpose-bound key from the system secret (RFC 5869).
func derive(secret []byte, purpose string) []byte {
	k, err := hkdf.Key(sha256.New, secret, nil, purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF-SHA256 cannot produce
	}
	return k
}

// cookiePath scopes the server's cookies to the issuer's path.
func cookiePath(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil || u.Path == "" || u.Path == "/" {
		return "/"
	}
	return strings.TrimSuffix(u.Path, "/") + "/"
}
