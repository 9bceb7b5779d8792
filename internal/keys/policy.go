package keys

import (
	"strconv"
	"time"
)

// Rotation defaults.
const (
	// DefaultJWKSMaxAge is how long a relying party may cache the JWKS
	// (Cache-Control: max-age, RFC 9111 §5.2.2.1).
	DefaultJWKSMaxAge = 5 * time.Minute
	// DefaultSkew is the clock difference tolerated between nodes, and
	// between a node and a relying party.
	DefaultSkew = time.Minute
	// DefaultTokenLifetime stands in for Policy.TokenLifetime when it is
	// not given: longer than any lifetime Tollgate defaults to.
	DefaultTokenLifetime = 24 * time.Hour
)

// Policy fixes the two delays of a key's life. The zero value of each
// field takes its default.
type Policy struct {
	// JWKSMaxAge is the Cache-Control max-age of the JWKS answer: how long
	// a relying party may go on using the key set it fetched.
	JWKSMaxAge time.Duration
	// ReloadEvery is how often every node reloads the keys from the store
	// (ReloadEvery when 0): the bound on how late a node learns of a key
	// another node (or the CLI) added.
	ReloadEvery time.Duration
	// Skew is the clock difference tolerated between nodes and relying
	// parties (DefaultSkew when 0).
	Skew time.Duration
	// TokenLifetime is the longest lifetime of any token a key signs:
	// access and ID tokens across clients and resources, logout tokens.
	TokenLifetime time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.JWKSMaxAge < 0 {
		p.JWKSMaxAge = 0
	} else if p.JWKSMaxAge == 0 {
		p.JWKSMaxAge = DefaultJWKSMaxAge
	}
	if p.ReloadEvery <= 0 {
		p.ReloadEvery = ReloadEvery
	}
	if p.Skew <= 0 {
		p.Skew = DefaultSkew
	}
	if p.TokenLifetime <= 0 {
		p.TokenLifetime = DefaultTokenLifetime
	}
	return p
}

// PublishDelay is how long a new key is published before it signs. Every
// node has the key within ReloadEvery of its creation; a relying party
// that fetched the JWKS from a node just before that node had it keeps the
// old set for JWKSMaxAge; Skew covers the clocks of the node that reads the
// activation time and of the one that wrote it. After the delay, every
// cached JWKS that can still be in use holds the key.
func (p Policy) PublishDelay() time.Duration { return p.JWKSMaxAge + p.ReloadEvery + p.Skew }

// Retention is how long a retired key stays published: a node whose clock
// is Skew behind signs with it up to Skew after its successor activates,
// the token lives TokenLifetime, and a relying party whose clock is Skew
// behind accepts it that much longer.
func (p Policy) Retention() time.Duration { return p.TokenLifetime + 2*p.Skew }

// cacheControl is the JWKS answer's Cache-Control value.
func (p Policy) cacheControl() string {
	return "public, max-age=" + strconv.FormatInt(int64(p.JWKSMaxAge/time.Second), 10)
}
