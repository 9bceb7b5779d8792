package oauth

import (
	"net"
	"net/http"
)

// clientIP is the address of the party that sent r, for throttling and logs.
// Today it is the TCP peer; the trusted-proxy rules (X-Forwarded-For from
// listed proxies only) replace this body, and every caller goes through here.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
