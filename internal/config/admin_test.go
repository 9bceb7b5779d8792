package config

import (
	"strings"
	"testing"
)

func TestAdminDefaults(t *testing.T) {
	c, err := Parse([]byte("issuer: https://login.example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Listen != DefaultAdminListen || !c.Admin.Enabled() || !c.Admin.Loopback() {
		t.Errorf("default admin %+v: want %s, enabled, loopback", c.Admin, DefaultAdminListen)
	}
	for _, off := range []string{`""`, "off"} {
		c, err := Parse([]byte("issuer: https://login.example.com\nadmin:\n  listen: " + off + "\n"))
		if err != nil || c.Admin.Enabled() {
			t.Errorf("admin.listen %s: %v, enabled %v; want off", off, err, c != nil && c.Admin.Enabled())
		}
	}
}

// TestAdminValidation: a bad address, the main listener's address, and a
// listener open to the network without a token are errors naming the field.
func TestAdminValidation(t *testing.T) {
	t.Setenv(AdminTokenEnv, "")
	for _, tc := range []struct{ yaml, field string }{
		{"admin:\n  listen: nonsense\n", "admin.listen"},
		{"admin:\n  listen: 127.0.0.1:99999\n", "admin.listen"},
		{"listen: 127.0.0.1:8080\nadmin:\n  listen: 127.0.0.1:8080\n", "admin.listen"},
		{"admin:\n  listen: 0.0.0.0:9090\n", "admin.token_file"},
		{"admin:\n  listen: :9090\n", "admin.token_file"},
	} {
		_, err := Parse([]byte("issuer: https://login.example.com\n" + tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%q: %v; want an error naming %s", tc.yaml, err, tc.field)
		}
	}
	// With a token, a listener open to the network is the operator's choice.
	for _, y := range []string{"admin:\n  listen: 0.0.0.0:9090\n  token_file: /etc/tollgate/admin-token\n"} {
		if _, err := Parse([]byte("issuer: https://login.example.com\n" + y)); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
	t.Setenv(AdminTokenEnv, "from-the-environment-0123456789abcdef")
	if _, err := Parse([]byte("issuer: https://login.example.com\nadmin:\n  listen: 0.0.0.0:9090\n")); err != nil {
		t.Errorf("non-loopback with %s set: %v", AdminTokenEnv, err)
	}
}
