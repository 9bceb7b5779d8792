package config

import (
	"strings"
	"testing"
	"time"
)

// TestEdgeRules breaks one http, tls or trusted_proxies rule per case.
func TestEdgeRules(t *testing.T) {
	cases := []ruleCase{
		{"read header timeout 0", func(c *Config) { c.HTTP.ReadHeaderTimeout = 0 }, "http.read_header_timeout", "longer than 0s"},
		{"read timeout 0", func(c *Config) { c.HTTP.ReadTimeout = 0 }, "http.read_timeout", "longer than 0s"},
		{"write timeout negative", func(c *Config) { c.HTTP.WriteTimeout = -time.Second }, "http.write_timeout", "longer than 0s"},
		{"idle timeout 0", func(c *Config) { c.HTTP.IdleTimeout = 0 }, "http.idle_timeout", "longer than 0s"},
		{"header timeout above read timeout", func(c *Config) { c.HTTP.ReadHeaderTimeout = time.Minute }, "http.read_header_timeout", "longer than http.read_timeout"},
		{"shutdown timeout 0", func(c *Config) { c.HTTP.ShutdownTimeout = 0 }, "http.shutdown_timeout", "longer than 0s"},
		{"header bytes too small", func(c *Config) { c.HTTP.MaxHeaderBytes = 100 }, "http.max_header_bytes", "outside"},
		{"header bytes too large", func(c *Config) { c.HTTP.MaxHeaderBytes = 8 << 20 }, "http.max_header_bytes", "outside"},
		{"tls cert without key", func(c *Config) { c.TLS.CertFile = "c.pem" }, "tls.key_file", "give both, or neither"},
		{"tls key without cert", func(c *Config) { c.TLS.KeyFile = "k.pem" }, "tls.cert_file", "give both, or neither"},
		{"tls with http issuer", func(c *Config) {
			c.Issuer = "http://127.0.0.1:8080"
			c.TLS = TLS{CertFile: "c.pem", KeyFile: "k.pem"}
		}, "issuer", "must be https"},
		{"proxy not an address", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "proxy.internal"} }, "trusted_proxies[1]", "not an IP address or CIDR"},
		{"proxy prefix with host bits", func(c *Config) { c.TrustedProxies = []string{"10.1.2.3/8"} }, "trusted_proxies[0]", "did you mean 10.0.0.0/8"},
	}
	runRuleCases(t, cases)
}

func TestEdgeDefaultsAndTLSIssuer(t *testing.T) {
	c, err := Parse([]byte("listen: 0.0.0.0:8443\ntls:\n  cert_file: c.pem\n  key_file: k.pem\ntrusted_proxies: [127.0.0.1, \"::1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://localhost:8443" {
		t.Errorf("issuer derived with tls = %q, want https://localhost:8443", c.Issuer)
	}
	want := HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 32 << 10, ShutdownTimeout: 10 * time.Second}
	if c.HTTP != want {
		t.Errorf("http defaults = %+v, want %+v", c.HTTP, want)
	}
	// Built in code from a zero Config, the same defaults apply.
	z := &Config{Issuer: "https://login.example.com"}
	if err := z.Finish(); err != nil {
		t.Fatal(err)
	}
	if z.HTTP != want {
		t.Errorf("zero Config http = %+v, want %+v", z.HTTP, want)
	}
	// An explicit 0s in the file is refused, not replaced by the default.
	if _, err := Parse([]byte("http:\n  read_header_timeout: 0s\n")); err == nil || !strings.Contains(err.Error(), "http.read_header_timeout") {
		t.Errorf("read_header_timeout: 0s: %v", err)
	}
	if _, err := Parse([]byte("http:\n  max_header_bytes: 0\n")); err == nil || !strings.Contains(err.Error(), "http.max_header_bytes") {
		t.Errorf("max_header_bytes: 0: %v", err)
	}
	if _, err := Parse([]byte("http:\n  read_header_timout: 5s\n")); err == nil || !strings.Contains(err.Error(), "in http") {
		t.Errorf("misspelt http key: %v", err)
	}
}
