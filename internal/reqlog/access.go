package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/proxy"
)

// HeaderRequestID is the header that carries the request id both ways.
const HeaderRequestID = "X-Request-Id"

// maxIncomingID bounds an id a trusted proxy sends: enough for a UUID, a
// ULID or a W3C trace id with a prefix, short enough to keep lines short.
const maxIncomingID = 128

// Access writes the access line of every request and gives each an id.
type Access struct {
	Log *slog.Logger
	// Proxies are the trusted proxies (config trusted_proxies): their
	// X-Request-Id is kept, and the client's address is read through
	// their X-Forwarded-For. Nil trusts no one.
	Proxies *proxy.Trusted
	// Quiet reports paths whose access line is logged at debug rather than
	// info: the probes a load balancer polls every few seconds.
	Quiet func(path string) bool
	ids   idSource
}

// NewAccess returns an Access logging to log.
func NewAccess(log *slog.Logger, proxies *proxy.Trusted, quiet func(string) bool) *Access {
	return &Access{Log: log, Proxies: proxies, Quiet: quiet, ids: newIDSource()}
}

// request is everything one request costs the access log, in one allocation.
type request struct {
	http.ResponseWriter
	status int
	info   Info
	hdr    [1]string // the X-Request-Id header value, without a slice of its own
	ctx    infoContext
}

func (r *request) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *request) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *request) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Wrap returns next with request ids and access lines.
func (a *Access) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &request{ResponseWriter: w}
		rec.info.ID = a.requestID(r)
		rec.hdr[0] = rec.info.ID
		w.Header()[HeaderRequestID] = rec.hdr[:]
		rec.ctx = infoContext{Context: r.Context(), info: &rec.info}
		ctx := context.Context(&rec.ctx)
		r = r.WithContext(ctx)
		rec.info.req, rec.info.access = r, a
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200 with no body
		}
		level := slog.LevelInfo
		if a.Quiet != nil && a.Quiet(r.URL.Path) {
			level = slog.LevelDebug
		}
		if !a.Log.Enabled(ctx, level) {
			return
		}
		// The path only: a query may hold a code, a token or a password.
		a.Log.LogAttrs(ctx, level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String(AttrClientID, rec.info.ClientID),
			slog.String("remote", rec.info.remoteAddr()))
	})
}

// remote is the client's address by the trusted-proxy rules. Without
// trusted proxies it is the TCP peer's host, cut out of RemoteAddr without
// parsing (no allocation on the hot path).
func (a *Access) remote(r *http.Request) string {
	if a.Proxies.Empty() {
		host := r.RemoteAddr
		if i := strings.LastIndexByte(host, ':'); i > 0 && strings.IndexByte(host[i:], ']') < 0 {
			host = host[:i]
		}
		return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return a.Proxies.ClientIP(r.RemoteAddr, r.Header)
}

// requestID is the id a trusted proxy sent, when it is sane, or a new one.
// Anyone else's X-Request-Id is ignored: a client could otherwise make its
// lines look like another request's.
func (a *Access) requestID(r *http.Request) string {
	if !a.Proxies.Empty() {
		if v := r.Header[HeaderRequestID]; len(v) == 1 && saneID(v[0]) && a.fromTrustedPeer(r) {
			return v[0]
		}
	}
	return a.ids.next()
}

func (a *Access) fromTrustedPeer(r *http.Request) bool {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 && strings.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	addr, err := netip.ParseAddr(host)
	return err == nil && a.Proxies.Contains(addr)
}

// saneID accepts 1 to 128 of A-Z a-z 0-9 - _ . : (UUIDs, ULIDs, hex, trace
// ids): nothing that could break a log line or carry a token in disguise.
func saneID(s string) bool {
	if s == "" || len(s) > maxIncomingID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// idSource makes request ids: a random prefix per process (so ids from
// different nodes and lives do not collide) and a counter. An id is a
// label, not a secret: being guessable gives nothing away.
type idSource struct {
	prefix string
	n      atomic.Uint64
}

func newIDSource() idSource {
	var b [5]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return idSource{prefix: strings.ToLower(base32.StdEncoding.EncodeToString(b[:])) + "-"}
}

func (s *idSource) next() string {
	var buf [32]byte
	b := append(buf[:0], s.prefix...)
	b = strconv.AppendUint(b, s.n.Add(1), 36)
	return string(b)
}
