package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/dpop"
)

// DPoP holds the server-wide settings of DPoP (RFC 9449): how proofs are
// checked at the token, PAR and userinfo endpoints.
type DPoP struct {
	// Nonce makes every proof carry a nonce the server handed out in a
	// DPoP-Nonce header (RFC 9449 §8): a proof made in advance is useless.
	Nonce bool `yaml:"nonce"`
	// NonceLifetime is how often the nonce changes; a nonce is accepted
	// for its own period and the next one.
	NonceLifetime time.Duration `yaml:"nonce_lifetime"`
	// IATWindow is how old a proof's iat may be (RFC 9449 §11.1); its jti
	// is remembered that long.
	IATWindow time.Duration `yaml:"iat_window"`
	// ClockSkew is how far ahead of the server's clock a proof's iat may be.
	ClockSkew time.Duration `yaml:"clock_skew"`
	// SigningAlgs are the algorithms proofs may be signed with, published
	// as dpop_signing_alg_values_supported.
	SigningAlgs []string `yaml:"signing_alg_values"`
}

// DPoP defaults.
const (
	DefaultDPoPNonceLifetime = 5 * time.Minute
	DefaultDPoPIATWindow     = 60 * time.Second
	DefaultDPoPClockSkew     = 5 * time.Second
)

// DefaultDPoP returns the DPoP defaults: no nonces, every asymmetric
// algorithm go-jose verifies.
func DefaultDPoP() DPoP {
	return DPoP{NonceLifetime: DefaultDPoPNonceLifetime, IATWindow: DefaultDPoPIATWindow, ClockSkew: DefaultDPoPClockSkew}
}

// BindsRefreshTokens reports whether a grant this client starts with a
// DPoP proof is bound to the proof's key (dpop_bound_refresh_tokens,
// default true).
func (cl *Client) BindsRefreshTokens() bool {
	return cl.DPoPBoundRefreshTokens == nil || *cl.DPoPBoundRefreshTokens
}

// applyDPoPDefaults fills the DPoP block and each client's algorithms.
func (c *Config) applyDPoPDefaults() {
	d := &c.DPoP
	if !c.explicitDurations {
		setDuration(&d.NonceLifetime, DefaultDPoPNonceLifetime)
		setDuration(&d.IATWindow, DefaultDPoPIATWindow)
		setDuration(&d.ClockSkew, DefaultDPoPClockSkew)
	}
	if d.SigningAlgs == nil {
		d.SigningAlgs = slices.Clone(dpop.Algs)
	}
	for i := range c.Clients {
		if c.Clients[i].DPoPSigningAlgs == nil {
			c.Clients[i].DPoPSigningAlgs = d.SigningAlgs
		}
	}
}

// checkDPoP validates the dpop block and the clients' DPoP settings.
func (c *Config) checkDPoP(ck *checker) {
	d := c.DPoP
	if d.IATWindow <= 0 || d.IATWindow > 10*time.Minute {
		ck.add("dpop.iat_window", "must be above 0s and at most 10m (got %v); a proof is made for one request", d.IATWindow)
	}
	if d.ClockSkew < 0 || d.ClockSkew > time.Minute {
		ck.add("dpop.clock_skew", "must be between 0s and 1m (got %v)", d.ClockSkew)
	}
	if d.NonceLifetime < 10*time.Second || d.NonceLifetime > 24*time.Hour {
		ck.add("dpop.nonce_lifetime", "must be between 10s and 24h (got %v)", d.NonceLifetime)
	}
	checkDPoPAlgs(ck, "dpop.signing_alg_values", d.SigningAlgs, dpop.Algs)
	for i := range c.Clients {
		cl := &c.Clients[i]
		checkDPoPAlgs(ck, clientPath(i, cl.ID)+".dpop_signing_alg_values", cl.DPoPSigningAlgs, d.SigningAlgs)
	}
}

func checkDPoPAlgs(ck *checker, path string, algs, allowed []string) {
	if len(algs) == 0 {
		ck.add(path, "must list at least one algorithm")
	}
	for i, a := range algs {
		p := path + "[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(allowed, a):
			ck.add(p, "%q is not one of %s (asymmetric algorithms only, RFC 9449 §4.3)", a, strings.Join(allowed, ", "))
		case slices.Index(algs, a) < i:
			ck.add(p, "%q is listed twice", a)
		}
	}
}
