package admin

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// PathMetrics is where the Prometheus metrics are served.
const PathMetrics = "/metrics"

// Options configure New.
type Options struct {
	// Authorizers: a request passes if any says yes. At least one is
	// required; New refuses none, so the listener is never open.
	Authorizers []Authorizer
	// Metrics serves PathMetrics; nil leaves it out.
	Metrics http.Handler
	Log     *slog.Logger // discard when nil
}

// Server is the admin listener's handler: a mux whose every route,
// unknown paths included, is behind the authorizers.
type Server struct {
	mux  *http.ServeMux
	auth []Authorizer
	log  *slog.Logger
}

// New builds the admin handler.
func New(o Options) (*Server, error) {
	if len(o.Authorizers) == 0 {
		return nil, errors.New("admin: no authorizer: the admin listener needs a token")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{mux: http.NewServeMux(), auth: o.Authorizers, log: o.Log}
	if o.Metrics != nil {
		s.mux.Handle("GET "+PathMetrics, o.Metrics)
	}
	return s, nil
}

// Handle registers an admin route (the admin API's, later), behind the
// same authorization as every other.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// unauthorized is the one answer to a missing, malformed or wrong
// credential: it does not say which (issue 8 "Bad input").
const unauthorized = `{"error":"unauthorized","error_description":"a valid admin bearer token is required"}` + "\n"

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	for _, a := range s.auth {
		if who, ok := a.Authorize(r); ok {
			s.mux.ServeHTTP(w, r.WithContext(who.withActor(WithCaller(r.Context(), who))))
			return
		}
	}
	// RFC 6750 §3: the challenge names the scheme and realm, nothing more.
	w.Header().Set("WWW-Authenticate", `Bearer realm="tollgate-admin"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorized))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "admin: request refused: no valid token",
		slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
}

// Serve answers on l until ctx ends, then shuts down within 5 s.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// IsLoopback reports whether the listen address addr (host:port) binds
// loopback only: localhost, or a loopback IP. An empty host or an
// unspecified address binds every interface, so it is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
