package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

const (
	// readyTimeout bounds the store ping of /readyz, well inside the
	// few seconds a load balancer's probe waits.
	readyTimeout = 2 * time.Second
	// jwksReloadTimeout bounds the store read a JWKS request may wait for.
	jwksReloadTimeout = time.Second
)

// probeBases are the path prefixes the probes answer under: the root, and
// the issuer's path when it has one.
func probeBases(prefix string) []string {
	if prefix == "" {
		return []string{""}
	}
	return []string{"", prefix}
}

// healthz is the liveness probe: 200 while the process serves HTTP. It
// asks nothing of the store, so a database outage never gets a healthy
// node restarted (that is what readyz is for).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness is the body of /readyz: a status, and on failure a short
// reason that names what is wrong, never a host, a DSN or an error text.
type readiness struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// readyz is the readiness probe: 200 when the store answers a ping within
// readyTimeout and the signing keys are loaded, else 503 with a reason, so
// a load balancer sends no request to a node that could only answer 503.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	out := readiness{Status: "ready"}
	switch {
	case s.Keys == nil || !s.Keys.Ready():
		out = readiness{Status: "unavailable", Reason: "signing keys are not loaded"}
	default:
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := s.Store.Ping(ctx)
		cancel()
		if err != nil {
			out = readiness{Status: "unavailable", Reason: "the store does not answer"}
			if s.unready.CompareAndSwap(false, true) {
				s.Log.LogAttrs(r.Context(), slog.LevelWarn, "not ready: the store does not answer", slog.String("error", err.Error()))
			}
		}
	}
	status := http.StatusOK
	if out.Status != "ready" {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	} else if s.unready.CompareAndSwap(true, false) {
		s.Log.LogAttrs(r.Context(), slog.LevelInfo, "ready again: the store answers")
	}
	writeJSON(w, status, out)
}
