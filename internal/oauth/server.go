package oauth

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
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
	accessTokenAudRS = "/resources"
)

// Deps is what the edge calls into.
type Deps struct {
	Config  *config.Config
	Auth    *clientauth.Authenticator
	Grants  *grant.Handler
	Refresh *refresh.Service
	Minter  *mint.Minter
	Keys    *keys.Set
	Store   store.Store // sessions, consents, parked requests, codes
	Pages   *web.Renderer
	CSRF    *web.CSRF
	Now     func() time.Time
	Log     *slog.Logger
}

// Server is the HTTP edge of Tollgate.
type Server struct {
	Deps
	issuer    string
	prefix    string // the issuer's path, with no trailing slash
	discovery []byte // rendered once: configuration does not change at run time
	metadata  []byte
	origins   map[string]bool // CORS: origins of registered redirect URIs
	stored    *storedLimits   // parked and pushed requests per address and client
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
	s := &Server{Deps: d, issuer: strings.TrimSuffix(d.Config.Issuer, "/"), prefix: strings.TrimSuffix(u.Path, "/")}
	s.origins = corsOrigins(d.Config.Clients)
	s.stored = newStoredLimits(d.Config.Throttle)
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
	mux.Handle(p+PathAuthorize, s.serve(s.authorizeEndpoint))
	mux.Handle(p+PathResume, s.serve(s.resume))
	mux.Handle(p+PathPAR, s.serve(s.par))
	mux.Handle(p+PathEndSession, s.serve(s.endSessionEndpoint))
	mux.Handle(p+PathLogin, s.serve(s.login))
	mux.Handle(p+PathConsent, s.serve(s.consent))
	mux.HandleFunc(PathHealth, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return securityHeaders(mux)
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

// securityHeaders sets the headers every response of an authorization
// server should carry.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}
