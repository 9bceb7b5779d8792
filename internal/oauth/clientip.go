package oauth

import (
	"net/http"
	"strings"
)

// clientIP is the address of the party that sent r, for throttling and
// logs. Without trusted_proxies it is the TCP peer and forwarded headers
// are ignored; with them, the rightmost X-Forwarded-For address that is not
// a trusted proxy, and only when the peer is one (see internal/proxy). A
// client cannot choose its own address by sending the header.
func (s *Server) clientIP(r *http.Request) string {
	return s.proxies.ClientIP(r.RemoteAddr, r.Header)
}

// checkForwardedProto is the one use of X-Forwarded-Proto. Tollgate builds
// every URL, cookie flag and HSTS header from the issuer, never from the
// request, so the scheme a client used changes no answer. What it can show
// is a misconfigured proxy: an https issuer behind a trusted proxy that
// forwards plain-http requests means tokens and passwords crossed the
// network unencrypted. That is logged, once per process.
func (s *Server) checkForwardedProto(r *http.Request) {
	if s.proxies.Empty() || r.Header.Get("X-Forwarded-Proto") == "" || !strings.HasPrefix(s.issuer, "https://") {
		return
	}
	// tls=true: only a trusted proxy's explicit "http" can answer "http".
	if s.proxies.Scheme(r.RemoteAddr, r.Header, true) == "http" {
		s.protoWarn.Do(func() {
			s.Log.Warn("a trusted proxy forwarded a plain-http request while the issuer is https; make the proxy redirect http to https",
				"path", r.URL.Path, "client", s.clientIP(r))
		})
	}
}
