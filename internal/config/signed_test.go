package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSignedSettings: each case breaks one rule of the signed-JWT settings
// and the client key sources; the error must name the field.
func TestSignedSettings(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(c *Config)
		field string
		want  string
	}{
		{"assertion lifetime zero", func(c *Config) { c.ClientAssertion.MaxLifetime = 0 }, "client_assertion.max_lifetime", "longer than 0s"},
		{"assertion lifetime too long", func(c *Config) { c.ClientAssertion.MaxLifetime = 2 * time.Hour }, "client_assertion.max_lifetime", "at most 1h"},
		{"request object lifetime negative", func(c *Config) { c.RequestObject.MaxLifetime = -time.Second }, "request_object.max_lifetime", "longer than 0s"},
		{"request object lifetime too long", func(c *Config) { c.RequestObject.MaxLifetime = 61 * time.Minute }, "request_object.max_lifetime", "at most 1h"},
		{"jwks and jwks_uri", func(c *Config) { c.Clients[3].JWKSURI = "https://jwt.example.com/jwks" }, `clients[3] "jwt".jwks_uri`, "not both"},
		{"jwks_uri over http", func(c *Config) {
			c.Clients[3].JWKS, c.Clients[3].JWKSURI = nil, "http://jwt.example.com/jwks"
		}, `clients[3] "jwt".jwks_uri`, "over https"},
		{"jwks_uri relative", func(c *Config) { c.Clients[3].JWKS, c.Clients[3].JWKSURI = nil, "/jwks" }, `clients[3] "jwt".jwks_uri`, "not an absolute URL"},
		{"jwks_uri ftp", func(c *Config) { c.Clients[3].JWKS, c.Clients[3].JWKSURI = nil, "ftp://jwt.example.com/jwks" }, `clients[3] "jwt".jwks_uri`, "must be an https URL"},
		{"jwks_uri with user info", func(c *Config) {
			c.Clients[3].JWKS, c.Clients[3].JWKSURI = nil, "https://u:p@jwt.example.com/jwks"
		}, `clients[3] "jwt".jwks_uri`, "no user info"},
		{"jwks_uri on a secret client", func(c *Config) { c.Clients[0].JWKSURI = "https://web.example.com/jwks" }, `clients[0] "web".jwks_uri`, "only used by private_key_jwt"},
		{"signed requests without keys", func(c *Config) { c.Clients[0].RequireSignedRequestObject = true }, `clients[0] "web".require_signed_request_object`, "private_key_jwt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(t)
			tc.edit(c)
			err := c.Finish()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Finish = %v, want a problem at %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Finish = %v\nwant %s: ...%s...", err, tc.field, tc.want)
			}
		})
	}
}

func TestSignedSettingsAccepted(t *testing.T) {
	c := validConfig(t)
	c.ClientAssertion.MaxLifetime = 10 * time.Minute
	c.Clients[3].JWKS, c.Clients[3].JWKSURI = nil, "http://127.0.0.1:8443/jwks"
	c.Clients[3].RequireSignedRequestObject = true
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	if c.RequestObject.MaxLifetime != DefaultRequestObjectMaxLifetime {
		t.Errorf("request_object.max_lifetime = %v, want the default", c.RequestObject.MaxLifetime)
	}
	z := &Config{}
	if err := z.Finish(); err != nil {
		t.Fatal(err)
	}
	if z.ClientAssertion.MaxLifetime != DefaultClientAssertionMaxLifetime || z.RequestObject.MaxLifetime != DefaultRequestObjectMaxLifetime {
		t.Errorf("zero Config: %v, %v", z.ClientAssertion, z.RequestObject)
	}
}
