package oauth

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/throttle"
)

// maxPARBytes caps a pushed authorization request's body: a public client
// pushes without a secret, and the parameters are stored as sent. 16 KiB
// holds every parameter at its cap (authorize.MaxParamBytes) with room to
// spare (RFC 9126 §2.3 answers a larger one 413).
const maxPARBytes = 16 << 10

// storedLimits bound the authorization requests callers can make the
// server store before anyone signed in: parked for sign-in and pushed to
// /connect/par, per client address and per client (issue 10, flaw 3), in
// KiB of parameters (config.Requests). They live in this process: N nodes
// allow N times as much.
type storedLimits struct {
	byIP, byClient *throttle.Rate
}

func newStoredLimits(t config.Throttle) *storedLimits {
	return &storedLimits{
		byIP:     throttle.NewRate(throttle.RatePolicy{Limit: t.Requests.PerIPKiB, Window: t.Requests.Window, MaxKeys: t.TrackedKeys}),
		byClient: throttle.NewRate(throttle.RatePolicy{Limit: t.Requests.PerClientKiB, Window: t.Requests.Window, MaxKeys: t.TrackedKeys}),
	}
}

// admitStored takes a request of size bytes from the budgets of r's
// address and of the client, or answers 429 with Retry-After (RFC 6585 §4;
// RFC 9126 §2.3 names 429 for PAR) and temporarily_unavailable (RFC 6749
// §4.1.2.1: the server cannot handle the request now).
func (s *Server) admitStored(r *http.Request, clientID string, size int) *oautherr.Error {
	now := s.Now()
	ip := s.clientIP(r)
	kib := storedWeight(size)
	what := "from this address"
	wait := s.stored.byIP.AllowN(throttle.AddressKey(ip), kib, now)
	if wait == 0 {
		what = "for this client"
		wait = s.stored.byClient.AllowN(clientID, kib, now)
	}
	if wait == 0 {
		return nil
	}
	s.Log.LogAttrs(r.Context(), slog.LevelDebug, "authorization request refused: too many stored",
		slog.String("client_id", clientID), slog.String("remote_ip", ip), slog.String("limit", what))
	return oautherr.TooManyRequests("too many authorization requests "+what, wait)
}

// storedWeight is what a stored request of size bytes costs its budgets:
// its size in KiB, rounded up, at least 1.
func storedWeight(size int) int { return max(1, (size+1023)/1024) }

// setRetryAfter puts an error's Retry-After on a page answer.
func setRetryAfter(w http.ResponseWriter, e *oautherr.Error) {
	if e != nil && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}
