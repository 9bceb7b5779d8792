package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/account"
	"github.com/tollgate-oidc/tollgate/internal/certreload"
	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/notify"
	"github.com/tollgate-oidc/tollgate/internal/oauth"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// App is a wired server: one node of a cluster, or the only one.
type App struct {
	Config  *config.Config
	Store   store.Store
	Keys    *keys.Set
	Minter  *mint.Minter
	Refresh *refresh.Service
	Users   *directory.Users // the file's users, then the store's
	// Notify tells clients of grants revoked for theft or reuse (SET push,
	// back-channel logout); Serve runs its workers.
	Notify *notify.Notifier
	Server *oauth.Server
	// Clients looks clients up over the file's and the store's, from a
	// snapshot Serve keeps reloaded (internal/directory).
	Clients *directory.Clients
	Log     *slog.Logger
	// NodeID names this process among the nodes sharing the store: it
	// holds the janitor lease, and every log line carries it.
	NodeID string
	now    func() time.Time
	certs  *certreload.Reloader // nil without tls
	sweep  sweepPlan
	// operate: the metrics and the admin listener (admin.go).
	operate *operate
}

// Options tune Open; the zero value is what production uses.
type Options struct {
	Now func() time.Time // the clock; time.Now when nil
	Log *slog.Logger     // discard when nil
	// NodeID names the node (NewNodeID when empty).
	NodeID string
	// SweepEvery is how often the janitor runs (DefaultSweepEvery when 0).
	SweepEvery time.Duration
	// KeyReloadEvery is how often the signing keys are reloaded from the
	// store (keys.ReloadEvery when 0).
	KeyReloadEvery time.Duration
	// ExistingStore opens the store only if it exists, and does not
	// migrate it (OpenExistingStore): the command line's --config mode,
	// where a mistyped path must be an error, not a new empty database.
	ExistingStore bool
}

// Open builds the server for a finished configuration.
func Open(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.NodeID == "" {
		o.NodeID = NewNodeID()
	}
	// Whoever built the logger, its lines of a request carry request_id.
	o.Log = slog.New(reqlog.NewHandler(o.Log.Handler())).With(slog.String("node", o.NodeID))
	// A PostgreSQL store is migrated here (postgres.Open): nodes starting
	// together take turns under the migration lock.
	var st store.Store
	var err error
	if o.ExistingStore {
		st, err = OpenExistingStore(ctx, cfg)
	} else {
		st, err = OpenStore(ctx, cfg, StoreOptions{Log: o.Log})
	}
	if err != nil {
		return nil, err
	}
	sys, err := SystemSecret(ctx, cfg, st, o.Log)
	if err != nil {
		st.Close()
		return nil, err
	}
	ks, err := keys.Open(ctx, st, sys, keys.Options{Now: o.Now, Log: o.Log, Policy: KeyPolicy(cfg, o.KeyReloadEvery), Node: o.NodeID})
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Keys: ks, Log: o.Log, NodeID: o.NodeID, now: o.Now, sweep: newSweepPlan(o.SweepEvery, o.KeyReloadEvery)}
	// hot: st with the hot paths' round trips timed, for the metrics.
	var hot store.Store
	if a.operate, hot, err = openOperate(cfg, st, o); err != nil {
		st.Close()
		return nil, err
	}
	if cfg.TLS.Enabled() {
		// Loaded now, so a bad pair stops the start before anything listens.
		if a.certs, err = certreload.New(cfg.TLS.CertFile, cfg.TLS.KeyFile, certreload.Options{Now: o.Now, Log: o.Log}); err != nil {
			st.Close()
			return nil, err
		}
	}
	a.Minter = mint.NewMinter(ks, cfg.Issuer)
	// The store's clients beside the file's, for every lookup at request
	// time; the store read (not hot) is enough, and metrics count them
	// under "other" (the client label is the file's closed set).
	a.Clients = directory.NewClients(cfg, st, o.Now, o.Log)
	audit := o.Log.With(slog.Bool("audit", true))
	a.Refresh = refresh.New(hot, mint.NewRefreshKeys(sys), o.Now, audit)
	a.Refresh.SetObserver(a.operate.metrics)
	a.Refresh.SetNode(o.NodeID)
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	a.Notify = notify.New(notify.Options{Issuer: issuer, Clients: a.Clients, Signers: ks, Now: o.Now, Log: audit,
		Observe: a.operate.metrics.NotifyOutcome})
	a.Refresh.SetNotifier(a.Notify)
	pages, err := web.NewRenderer()
	if err != nil {
		st.Close()
		return nil, err
	}
	passwords, err := grant.NewPasswords(cfg, o.Now, audit)
	if err == nil {
		// Users: the file's, then the store's, read at each request.
		a.Users = directory.NewUsers(cfg, hot)
		err = passwords.UseStore(a.Users)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	a.Server, err = oauth.New(oauth.Deps{
		Config: cfg,
		Auth: &clientauth.Authenticator{
			Clients: a.Clients, JTI: hot, Issuer: issuer, Now: o.Now,
			MaxLifetime: cfg.ClientAssertion.MaxLifetime,
		},
		Grants: &grant.Handler{
			Users: a.Users, Passwords: passwords, Refresh: a.Refresh, Minter: a.Minter, Codes: hot, Now: o.Now,
			Audience: oauth.AccessTokenAudience(issuer), Log: audit, Observe: a.operate.metrics,
		},
		Refresh: a.Refresh, Minter: a.Minter, Keys: ks, Store: st, Pages: pages,
		DPoP: newDPoP(cfg, hot, sys, o.Now),
		CSRF: &web.CSRF{Key: derive(sys, "tollgate/csrf/v1"), Secure: strings.HasPrefix(issuer, "https://"), Path: cookiePath(issuer)},
		Now:  o.Now, Log: o.Log,
		Logout: a.Notify, Clients: a.Clients,
		Around: a.operate.metrics.Instrument,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	if cfg.Account.On() { // /account, a person's own page (internal/account)
		a.Server.Account, err = account.New(account.Deps{Config: cfg,
			Service: &account.Service{Store: st, Revoke: a.Refresh, Clients: a.Clients, Now: o.Now, Node: o.NodeID},
			Grants:  a.Server.Grants, Keys: ks, Pages: pages, CSRF: a.Server.CSRF,
			CookieKey: derive(sys, "tollgate/account-cookie/v1"), Now: o.Now, Log: o.Log,
			Live: func(r *http.Request, sid string) (*config.User, error) {
				sess, u, err := a.Server.BrowserSession(r)
				if err != nil || sess == nil || sess.SID != sid {
					return nil, err
				}
				return u, nil
			}})
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	a.wireAudit(hot, passwords)
	if err := a.openAdmin(issuer, sys); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// Handler is the HTTP handler of the server, each request timed by its
// route pattern (metrics.Instrument, around the router: oauth.Deps.Around).
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Serve answers HTTP on l (HTTPS when tls is configured) until ctx ends,
// then shuts down gracefully. Meanwhile it runs the janitor (janitor.go:
// one node of a cluster at a time removes expired records) and reloads the
// signing keys from the store every KeyReloadEvery. The limits come from the http block of the
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
	al, err := a.listenAdmin() // admin.go; nil when it is off
	if err != nil {
		return err
	}
	if al != nil {
		adminDone := make(chan struct{})
		go func() { _ = a.operate.admin.Serve(ctx, al); close(adminDone) }()
		defer func() { <-adminDone }()
	}
	go a.runJanitor(ctx)
	go a.Clients.Run(ctx)
	go a.Keys.Run(ctx, a.sweep.keysEvery)
	go a.runKeyRotation(ctx) // keyrotation.go
	notified := make(chan struct{})
	go func() { a.Notify.Run(ctx); close(notified) }()
	defer func() { <-notified }() // its workers stop with ctx; what is queued is logged abandoned
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
	return a.shutdown(srv, h.ShutdownTimeout)
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

// newDPoP is the DPoP proof verifier: jtis in the store, so every node
// sees every proof; nonces, when required, keyed from the system secret,
// so every node accepts every other's.
func newDPoP(cfg *config.Config, st store.Store, sys []byte, now func() time.Time) *dpop.Verifier {
	v := &dpop.Verifier{JTI: st, Now: now, Window: cfg.DPoP.IATWindow, Skew: cfg.DPoP.ClockSkew}
	if cfg.DPoP.Nonce {
		v.Nonces = dpop.NewNonces(derive(sys, "tollgate/dpop-nonce/v1"), cfg.DPoP.NonceLifetime, now)
	}
	return v
}

// cookiePath scopes the server's cookies to the issuer's path.
func cookiePath(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil || u.Path == "" || u.Path == "/" {
		return "/"
	}
	return strings.TrimSuffix(u.Path, "/") + "/"
}
