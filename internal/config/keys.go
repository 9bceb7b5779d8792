package config

import "time"

// Keys holds the signing-key rotation settings (package keys: a key is
// published for the JWKS cache lifetime before it signs, and after it is
// retired until the last token it signed has expired).
type Keys struct {
	// RotateEvery rotates every algorithm's key this long after its
	// current key activated; 0 (default) rotates only on `tollgate keys
	// rotate`. One node of a cluster rotates (a store lease).
	RotateEvery time.Duration `yaml:"rotate_every"`
	// JWKSMaxAge is the Cache-Control max-age of the JWKS answer; a new key
	// is published at least this long before it signs. Default: 5m.
	JWKSMaxAge time.Duration `yaml:"jwks_max_age"`
	// ClockSkew is the clock difference tolerated between nodes and
	// relying parties, added to both delays. Default: 1m.
	ClockSkew time.Duration `yaml:"clock_skew"`
}

// Keys defaults.
const (
	DefaultJWKSMaxAge    = 5 * time.Minute
	DefaultKeysClockSkew = time.Minute
	// MinRotateEvery keeps a schedule from piling up published keys: each
	// retired key stays in the JWKS for the longest token lifetime.
	MinRotateEvery = time.Hour
)

func (k *Keys) applyDefaults() {
	setDuration(&k.JWKSMaxAge, DefaultJWKSMaxAge)
	setDuration(&k.ClockSkew, DefaultKeysClockSkew)
}

func (c *Config) checkKeys(ck *checker) {
	k := c.Keys
	if k.RotateEvery != 0 && k.RotateEvery < MinRotateEvery {
		ck.add("keys.rotate_every", "must be 0s (off) or at least %v (got %v)", MinRotateEvery, k.RotateEvery)
	}
	if k.JWKSMaxAge < time.Second || k.JWKSMaxAge > 24*time.Hour {
		ck.add("keys.jwks_max_age", "must be between 1s and 24h (got %v)", k.JWKSMaxAge)
	}
	if k.ClockSkew < time.Second || k.ClockSkew > 10*time.Minute {
		ck.add("keys.clock_skew", "must be between 1s and 10m (got %v)", k.ClockSkew)
	}
}

// LongestTokenLifetime is the longest lifetime of an access or ID token
// any client can be issued, across the server-wide block, the clients'
// overrides and the resources'. Valid after Finish. A retired signing key
// stays published this long (plus skew) after it stops signing.
func (c *Config) LongestTokenLifetime() time.Duration {
	longest := max(c.Tokens.AccessTokenLifetime, c.Tokens.IDTokenLifetime)
	for i := range c.Clients {
		t := c.Clients[i].Tokens
		longest = max(longest, t.AccessTokenLifetime, t.IDTokenLifetime)
	}
	for i := range c.Resources {
		if l := c.Resources[i].AccessTokenLifetime; l != nil {
			longest = max(longest, *l)
		}
	}
	return longest
}
