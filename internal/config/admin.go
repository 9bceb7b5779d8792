package config

import (
	"net"
	"os"
	"strconv"
)

// Admin is the admin listener (internal/admin): /metrics today, the admin
// API later. It is authenticated by a bearer token from the environment
// (TOLLGATE_ADMIN_TOKEN, which wins) or from TokenFile.
type Admin struct {
	// Listen is host:port, loopback by default; "" or "off" turns it off.
	Listen string `yaml:"listen"`
	// TokenFile holds the admin bearer token (at least 32 characters);
	// relative to the configuration file's folder.
	TokenFile string `yaml:"token_file"`
}

// DefaultAdminListen: loopback only, so the metrics and the admin API are
// reachable from the host (a Prometheus agent, an operator's shell), not
// from the network, unless an operator says otherwise.
const DefaultAdminListen = "127.0.0.1:9090"

// AdminTokenEnv names the variable that holds the admin token.
const AdminTokenEnv = "TOLLGATE_ADMIN_TOKEN"

// Enabled reports whether the admin listener is configured.
func (a Admin) Enabled() bool { return a.Listen != "" && a.Listen != "off" }

// HasToken reports whether a token is configured (the environment or a file).
func (a Admin) HasToken() bool { return os.Getenv(AdminTokenEnv) != "" || a.TokenFile != "" }

// Loopback reports whether Listen binds loopback only.
func (a Admin) Loopback() bool {
	host, _, err := net.SplitHostPort(a.Listen)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// checkAdmin: a well-formed address; never a listener open to the network
// without a token. On loopback without one (the default) the listener
// stays off, and the start line says so (internal/app): the admin API
// never answers unauthenticated, and a laptop needs no token.
func (c *Config) checkAdmin(ck *checker) {
	a := c.Admin
	if !a.Enabled() {
		return
	}
	_, port, err := net.SplitHostPort(a.Listen)
	if err != nil {
		ck.add("admin.listen", "%q is not host:port (for example 127.0.0.1:9090), \"\" or off", a.Listen)
		return
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		ck.add("admin.listen", "port %q is not a number from 0 to 65535", port)
		return
	}
	if a.Listen == c.Listen {
		ck.add("admin.listen", "%q is the main listener's address (listen); give the admin listener its own", a.Listen)
	}
	if !a.HasToken() && !a.Loopback() {
		ck.add("admin.token_file", "%s and admin.token_file are both unset, and admin.listen %q is not loopback: the admin listener refuses to start without a token", AdminTokenEnv, a.Listen)
	}
}
