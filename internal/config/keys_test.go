package config

import (
	"strings"
	"testing"
	"time"
)

func TestKeysDefaultsAndValidation(t *testing.T) {
	c, err := Parse([]byte("issuer: https://login.example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Keys != (Keys{JWKSMaxAge: DefaultJWKSMaxAge, ClockSkew: DefaultKeysClockSkew}) {
		t.Fatalf("keys defaults %+v", c.Keys)
	}
	for field, edit := range map[string]func(*Config){
		"keys.rotate_every": func(c *Config) { c.Keys.RotateEvery = 59 * time.Minute },
		"keys.jwks_max_age": func(c *Config) { c.Keys.JWKSMaxAge = 0 },
		"keys.clock_skew":   func(c *Config) { c.Keys.ClockSkew = 11 * time.Minute },
	} {
		c := validConfig(t)
		edit(c)
		if err := c.Finish(); err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s: Finish() = %v, want a problem naming the field", field, err)
		}
	}
	c = validConfig(t)
	c.Keys.RotateEvery = 90 * 24 * time.Hour
	if err := c.Finish(); err != nil {
		t.Fatalf("a 90-day rotation: %v", err)
	}
}

// TestLongestTokenLifetime: a client's override and a resource's own
// lifetime both count; the retention of retired keys hangs on it.
func TestLongestTokenLifetime(t *testing.T) {
	c := validConfig(t)
	long, longer := 2*time.Hour, 3*time.Hour
	c.Clients[1].TokensOverride = &TokensPatch{AccessTokenLifetime: &long}
	c.Resources = []Resource{{URI: "https://api.example.com", Scopes: []string{"read"}, AccessTokenLifetime: &longer}}
	c.Clients[1].Resources = []string{"https://api.example.com"}
	c.Clients[1].Scopes = []string{"read"}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	if got := c.LongestTokenLifetime(); got != longer {
		t.Fatalf("LongestTokenLifetime = %v, want the resource's %v", got, longer)
	}
	c.Resources[0].AccessTokenLifetime = nil
	if got := c.LongestTokenLifetime(); got != long {
		t.Fatalf("LongestTokenLifetime = %v, want the client's %v", got, long)
	}
}
