package config

import (
	"fmt"
	"net/url"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/proxy"
)

// Bounds of http.max_header_bytes: below 4 KiB ordinary browsers with a few
// cookies are refused; above 1 MiB a header is an attack, not a request.
const (
	minHeaderBytes = 4 << 10
	maxHeaderBytes = 1 << 20
)

// checkEdge validates the http, tls and trusted_proxies keys.
func (c *Config) checkEdge(ck *checker) {
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"http.read_header_timeout", c.HTTP.ReadHeaderTimeout},
		{"http.read_timeout", c.HTTP.ReadTimeout},
		{"http.write_timeout", c.HTTP.WriteTimeout},
		{"http.idle_timeout", c.HTTP.IdleTimeout},
	} {
		if d.v <= 0 {
			ck.add(d.key, "must be longer than 0s (0 would mean no limit at all, and one stalled connection would be held for good)")
		}
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		ck.add("http.shutdown_timeout", "must be longer than 0s (0 would cut every request in flight at once on shutdown)")
	}
	if c.HTTP.ReadHeaderTimeout > 0 && c.HTTP.ReadTimeout > 0 && c.HTTP.ReadHeaderTimeout > c.HTTP.ReadTimeout {
		ck.add("http.read_header_timeout", "%v is longer than http.read_timeout %v, which already bounds the headers", c.HTTP.ReadHeaderTimeout, c.HTTP.ReadTimeout)
	}
	if n := c.HTTP.MaxHeaderBytes; n < minHeaderBytes || n > maxHeaderBytes {
		ck.add("http.max_header_bytes", "%d is outside %d (4 KiB) to %d (1 MiB)", n, minHeaderBytes, maxHeaderBytes)
	}

	if c.TLS.Enabled() {
		switch {
		case c.TLS.CertFile == "":
			ck.add("tls.cert_file", "must be set with tls.key_file: give both, or neither")
		case c.TLS.KeyFile == "":
			ck.add("tls.key_file", "must be set with tls.cert_file: give both, or neither")
		}
		// With a TLS listener every URL the server publishes must be
		// https: an http issuer would send clients to a port that speaks
		// only TLS, and its cookies would lack Secure.
		if u, err := url.Parse(c.Issuer); err == nil && u.Scheme == "http" {
			ck.add("issuer", "is %q but tls is set: the issuer must be https://... when the server listens with TLS", c.Issuer)
		}
	}

	for i, e := range c.TrustedProxies {
		if _, err := proxy.ParseEntry(e); err != nil {
			ck.add(fmt.Sprintf("trusted_proxies[%d]", i), "%v", err)
		}
	}
}
