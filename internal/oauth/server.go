package oauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/proxy"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/requestobject"
	"github.com/tollgate-oidc/tollgate/internal/signin"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// Endpoint paths, as Duende IdentityServer names them, so clients written
// for HelseID find what they expect. They hang below the issuer's path.
const (
	PathDiscovery    = "/.well-known/openid-configuration"
	PathJWKS         = "/.well-known/openid-configuration/jwks"
	PathOAuthMeta    = "/.well-known/oauth-authorization-server"
	PathToken        = "/connect/token"
	PathRevocation   = "/connect/revocation"
	PathIntrospect   = "/connect/introspect"
	PathUserinfo     = "/connect/userinfo"
	PathHealth       = "/healthz"
	PathReady        = "/readyz"
	accessTokenAudRS = "/resources"
)

// Store is the part of store.Store the browser flow (signin.Store: parked
// requests, sessions, consents, codes) and the probes use. Refresh tokens,
// grants and client-assertion ids are reached only through refresh, grant
// and clientauth, so a handler here cannot write them behind the
// lifecycle's back.
type Store interface {
	signin.Store
	Ping(ctx context.Context) error
}

var _ Store = store.Store(nil)

// Deps is what the edge calls into.
type Deps struct {
	Config  *config.Config
	Auth    *clientauth.Authenticator
	Grants  *grant.Handler
	Refresh *refresh.Service
	Minter  *mint.Minter
	DPoP    *dpop.Verifier // RFC 9449 proofs (token, PAR, userinfo); nil refuses them
	Keys    *keys.Set
	Store   Store // sessions, consents, parked requests, codes, readiness
	Pages   *web.Renderer
	CSRF    *web.CSRF
	Now     func() time.Time
	Log     *slog.Logger
	Node    string // this node's name, for the audit trail's events

	// Clients looks clients up at request time: the file's and the
	// store's (internal/directory). nil: the file's only (clients.go).
	Clients Clients

	// Logout sends back-channel logout tokens when a session ends
	// (endsession.go; notify.Notifier); nil sends none.
	Logout SessionNotifier

	// Account serves a person's own page, /account and below
	// (internal/account); nil: not served.
	Account http.Handler

	// Around wraps the router itself (metrics.Instrument: latency by route
	// pattern). It sits inside the access log, whose request carries the
	// request id in a new context: only a wrapper that holds the very
	// request the router serves can read the pattern the router set on
	// it (http.Request.Pattern). nil: nothing.
	Around func(http.Handler) http.Handler
}

// Server is the HTTP edge of Tollgate.
type Server struct {
	Deps
	issuer    string
	prefix    string // the issuer's path, with no trailing slash
	discovery []byte // rendered once: configuration does not change at run time
	metadata  []byte
	origins   map[string]bool // CORS: origins of registered redirect URIs
	proxies   *proxy.Trusted  // whose X-Forwarded-* headers are believed (clientip.go)
	protoWarn sync.Once       // clientip.go: warn once about plain http behind a proxy
	stored    *storedLimits   // parked and pushed requests per address and client
	unready   atomic.Bool     // the last /readyz failed (health.go logs the change once)
	// clientEndpoints: issuer + path of each endpoint a client
	// authenticates at (clientRequest), by path.
	clientEndpoints map[string]string
	requestObjects  *requestobject.Verifier // requestobject.go
	access          *reqlog.Access          // request ids and the access line (Handler)
	signin          *signin.Service         // the sign-in flow's rules (newSignin)
}

// AccessTokenAudience is the aud of every access token: the issuer's
// resources, as Duende IdentityServer names it (RFC 9068 §3 requires an aud).
func AccessTokenAudience(issuer string) []string {
	return []string{strings.TrimSuffix(issuer, "/") + accessTokenAudRS}
}

// New builds the server from its dependencies.
func New(d Deps) (*Server, error) {
	u, err := url.Parse(d.Config.Issuer)
	if err != nil {
		return nil, err
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clients == nil {
		d.Clients = fileClients{d.Config}
	}
	s := &Server{Deps: d, issuer: strings.TrimSuffix(d.Config.Issuer, "/"), prefix: strings.TrimSuffix(u.Path, "/")}
	s.origins = corsOrigins(d.Config.Clients)
	s.requestObjects = newRequestObjects(d, s.issuer)
	s.clientEndpoints = map[string]string{}
	for _, p := range []string{PathToken, PathRevocation, PathIntrospect, PathPAR} {
		s.clientEndpoints[p] = s.issuer + p
	}
	if s.proxies, err = proxy.New(d.Config.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted_proxies: %w", err)
	}
	s.stored = newStoredLimits(d.Config.Throttle)
	s.signin = s.newSignin()
	s.access = reqlog.NewAccess(d.Log, s.proxies, isProbe)
	if s.discovery, s.metadata, err = s.renderDiscovery(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	p := s.prefix
	mux.Handle(p+PathDiscovery, s.serve(s.getOnly(s.serveDiscovery(s.discovery))))
	// RFC 8414 §3: the well-known segment goes before the issuer's path.
	mux.Handle(PathOAuthMeta+p, s.serve(s.getOnly(s.serveDiscovery(s.metadata))))
	mux.Handle(p+PathJWKS, s.serve(s.getOnly(s.jwks)))
	mux.Handle(p+PathToken, s.cors("POST", s.serve(s.token)))
	mux.Handle(p+PathRevocation, s.cors("POST", s.serve(s.revocation)))
	mux.Handle(p+PathIntrospect, s.serve(s.introspect))
	mux.Handle(p+PathUserinfo, s.cors("GET, POST", s.serve(bearerProtected(s.userinfo))))
	mux.Handle(p+PathAuthorize, s.serve(s.browser(s.authorizeEndpoint)))
	mux.Handle(p+PathResume, s.serve(s.browser(s.resume)))
	mux.Handle(p+PathPAR, s.serve(s.par))
	mux.Handle(p+PathEndSession, s.serve(s.browser(s.endSessionEndpoint)))
	mux.Handle(p+PathLogin, s.serve(s.browser(s.login)))
	mux.Handle(p+PathConsent, s.serve(s.browser(s.consent)))
	if s.Account != nil { // internal/account: its pages set their own CSP
		mux.Handle(p+"/account", s.Account)
		mux.Handle(p+"/account/", s.Account)
	}
	// Probes answer at the root, where a load balancer looks for them, and
	// below the issuer's path too, where a proxy that forwards only that
	// path lets them through.
	for _, base := range probeBases(p) {
		mux.HandleFunc(base+PathHealth, s.healthz)
		mux.HandleFunc(base+PathReady, s.readyz)
	}
	var h http.Handler = mux
	if s.Around != nil {
		h = s.Around(h)
	}
	return s.access.Wrap(s.edge(h))
}

// isProbe: a probe's access line is logged at debug, not info; a load
// balancer polls it every few seconds.
func isProbe(path string) bool {
	return strings.HasSuffix(path, PathHealth) || strings.HasSuffix(path, PathReady)
}

// getOnly refuses methods other than GET and HEAD on read-only documents.
func (s *Server) getOnly(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			return errMethod("GET")
		}
		return h(w, r)
	}
}

// maxBodyBytes bounds every request body, whatever the endpoint: the form
// endpoints allow the same (maxFormBytes), and the others read none.
const maxBodyBytes = maxFormBytes

// Security headers of every response. Pages (internal/web) replace the CSP
// with their own strict, hash-based policy; everything else (JSON, errors,
// redirects, discovery) may load nothing and be framed by no one.
const (
	defaultCSP = "default-src 'none'; frame-ancestors 'none'"
	// hstsValue: one year. No includeSubDomains: the issuer's parent
	// domain is the operator's to decide, not the server's.
	hstsValue = "max-age=31536000"
)

// edge wraps every route: the security headers every response of an
// authorization server should carry (framing: RFC 6749 §10.13, RFC 9700
// §4.16; referrers: RFC 9700 §4.2), a bound on the request body, and the
// check of what trusted proxies forward. It runs before routing, so 404s, 405s and
// panics answered by serve carry the headers too.
func (s *Server) edge(h http.Handler) http.Handler {
	hsts := strings.HasPrefix(s.issuer, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		// Shared values (headers.go): Set would allocate a slice each.
		hd["X-Content-Type-Options"] = hvNosniff
		hd["Referrer-Policy"] = hvNoReferrer
		hd["X-Frame-Options"] = hvDeny // frame-ancestors for browsers without CSP 2
		hd["Content-Security-Policy"] = hvDefaultCSP
		if hsts {
			// RFC 6797 §8.1: browsers ignore it on plain http, so it
			// follows the issuer, not the connection (TLS may end at a proxy).
			hd["Strict-Transport-Security"] = hvHSTS
		}
		if r.ContentLength > maxBodyBytes {
			s.writeError(w, r, &oautherr.Error{Code: oautherr.InvalidRequest, Status: http.StatusRequestEntityTooLarge,
				Description: fmt.Sprintf("the request body is larger than %d KiB", maxBodyBytes>>10)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		s.checkForwardedProto(r)
		h.ServeHTTP(w, r)
	})
}
