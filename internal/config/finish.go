package config

import (
	"fmt"
	"net"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// Server-wide defaults. Access and ID tokens cannot be revoked, so they live
// minutes (seed: "as short as possible"); refresh tokens can be revoked, so
// they may live for weeks.
const (
	DefaultListen           = "127.0.0.1:8080"
	DefaultStorage          = "sqlite:./.tollgate/tollgate.db"
	DefaultSystemSecretFile = "./.tollgate/system.key"
	DefaultAccessTokenTTL   = 5 * time.Minute
	DefaultIDTokenTTL       = 5 * time.Minute
	// Access tokens are ES256: resource servers read them, OIDC fixes no
	// algorithm for them, and one ES256 signature costs what a twentieth
	// of an RS256 one does. ID tokens stay RS256, what OIDC Core §15.1
	// makes every relying party support and one that registered nothing
	// (no id_token_signed_response_alg) expects (OIDC Registration §2).
	DefaultAccessTokenSigningAlg = "ES256"
	DefaultIDTokenSigningAlg     = "RS256"
	DefaultRotation              = RotationOneTime
	DefaultIdleLifetime          = 360 * time.Hour // 15 days without use
	DefaultMaxLifetime           = 720 * time.Hour // 30 days from sign-in
	DefaultReuseGrace            = 60 * time.Second
	DefaultSessionLifetime       = 8 * time.Hour
	DefaultLogLevel              = "info"
	DefaultLogFormat             = "text"

	// HTTP server limits: generous for any real client, short enough that
	// a slow or stalled connection (slowloris) is dropped.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 32 << 10
	// DefaultShutdownTimeout: the drain on SIGTERM, shorter than the 30 s
	// systemd and Kubernetes wait before they kill.
	DefaultShutdownTimeout = 10 * time.Second
)

// Finish applies defaults, validates everything, hashes plain client secrets
// and user passwords, and builds the lookups. Load calls it; call it yourself
// on a Config built in code. On failure it returns an *Error listing every
// problem, and the Config must not be used.
func (c *Config) Finish() error {
	c.applyDefaults()
	var ck checker
	c.validate(&ck)
	c.checkAccount(&ck) // account.go
	c.warnings = ck.warnings
	if len(ck.problems) > 0 {
		return &Error{Problems: ck.problems}
	}

	// Plain secrets are dropped from the Config once hashed, so nothing that
	// holds or logs the Config later sees them (ARCHITECTURE: secrets are
	// never kept in the clear).
	for i := range c.Clients {
		cl := &c.Clients[i]
		if cl.Secret != "" {
			cl.SecretHash = secret.HashClientSecret(cl.Secret)
			cl.Secret = ""
		}
	}
	for i := range c.Users {
		u := &c.Users[i]
		if u.Password != "" {
			h, err := secret.HashPassword(u.Password)
			if err != nil {
				return fmt.Errorf("config: hashing the password of users[%d]: %w", i, err)
			}
			u.PasswordHash = h
			u.Password = ""
		}
	}

	c.clientsByID = make(map[string]*Client, len(c.Clients))
	for i := range c.Clients {
		c.clientsByID[c.Clients[i].ID] = &c.Clients[i]
	}
	c.linkResources()
	c.buildAccountClient() // account.go: not in Clients, found by Client
	c.usersByName = make(map[string]*User, len(c.Users))
	c.usersBySub = make(map[string]*User, len(c.Users))
	for i := range c.Users {
		u := &c.Users[i]
		c.usersByName[u.Username] = u
		c.usersBySub[u.Subject] = u
	}
	return nil
}

// Default returns a Config holding every server-wide default. Parse decodes
// the file over it, so a key absent from the file keeps its default while a
// key given as "0s" is really zero: reuse_grace: 0s switches the grace window
// off, and access_token_lifetime: 0s is reported as an error instead of being
// silently replaced. Build a Config in code from Default for the same
// meaning; from a zero Config, Finish treats zero durations as absent.
func Default() *Config {
	return &Config{
		Listen:           DefaultListen,
		Storage:          DefaultStorage,
		SystemSecretFile: DefaultSystemSecretFile,
		LogLevel:         DefaultLogLevel,
		LogFormat:        DefaultLogFormat,
		Tokens: Tokens{
			AccessTokenLifetime: DefaultAccessTokenTTL,
			IDTokenLifetime:     DefaultIDTokenTTL,
			RefreshToken: RefreshToken{
				Rotation:     DefaultRotation,
				IdleLifetime: DefaultIdleLifetime,
				MaxLifetime:  DefaultMaxLifetime,
				ReuseGrace:   DefaultReuseGrace,
			},
		},
		Session: Session{Lifetime: DefaultSessionLifetime},
		HTTP: HTTP{
			ReadHeaderTimeout: DefaultReadHeaderTimeout,
			ReadTimeout:       DefaultReadTimeout,
			WriteTimeout:      DefaultWriteTimeout,
			IdleTimeout:       DefaultIdleTimeout,
			MaxHeaderBytes:    DefaultMaxHeaderBytes,
			ShutdownTimeout:   DefaultShutdownTimeout,
		},
		Throttle:          DefaultThrottle(),
		DPoP:              DefaultDPoP(),
		Keys:              Keys{JWKSMaxAge: DefaultJWKSMaxAge, ClockSkew: DefaultKeysClockSkew},
		ClientAssertion:   ClientAssertion{MaxLifetime: DefaultClientAssertionMaxLifetime},
		RequestObject:     RequestObject{MaxLifetime: DefaultRequestObjectMaxLifetime},
		Admin:             Admin{Listen: DefaultAdminListen},
		Audit:             Audit{Retention: DefaultAuditRetention},
		explicitDurations: true,
	}
}

func (c *Config) applyDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Issuer == "" {
		if host, port, err := net.SplitHostPort(c.Listen); err == nil {
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
				host = "localhost" // ":8080" and "0.0.0.0:8080" are not addresses a client can use
			}
			scheme := "http://"
			if c.TLS.Enabled() {
				scheme = "https://"
			}
			c.Issuer = scheme + net.JoinHostPort(host, port)
		}
	}
	if c.Storage == "" {
		c.Storage = DefaultStorage
	}
	if c.SystemSecretFile == "" {
		c.SystemSecretFile = DefaultSystemSecretFile
	}
	if IsPostgres(c.Storage) {
		c.StorageOptions.applyDefaults(c.storageKeys)
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if c.LogFormat == "" {
		c.LogFormat = DefaultLogFormat
	}
	c.Tokens.resolveAlgs()
	if c.Tokens.RefreshToken.Rotation == "" {
		c.Tokens.RefreshToken.Rotation = DefaultRotation
	}
	if !c.explicitDurations {
		// Built in code from a zero Config: zero means "not given".
		t := &c.Tokens
		setDuration(&t.AccessTokenLifetime, DefaultAccessTokenTTL)
		setDuration(&t.IDTokenLifetime, DefaultIDTokenTTL)
		setDuration(&t.RefreshToken.IdleLifetime, DefaultIdleLifetime)
		setDuration(&t.RefreshToken.MaxLifetime, DefaultMaxLifetime)
		setDuration(&t.RefreshToken.ReuseGrace, DefaultReuseGrace)
		setDuration(&c.Session.Lifetime, DefaultSessionLifetime)
		setDuration(&c.HTTP.ReadHeaderTimeout, DefaultReadHeaderTimeout)
		setDuration(&c.HTTP.ReadTimeout, DefaultReadTimeout)
		setDuration(&c.HTTP.WriteTimeout, DefaultWriteTimeout)
		setDuration(&c.HTTP.IdleTimeout, DefaultIdleTimeout)
		setDuration(&c.HTTP.ShutdownTimeout, DefaultShutdownTimeout)
		if c.HTTP.MaxHeaderBytes == 0 {
			c.HTTP.MaxHeaderBytes = DefaultMaxHeaderBytes
		}
		c.Throttle.fillZero()
		c.defaultSigned()
	}

	for i := range c.Clients {
		c.Clients[i].applyDefaults(c.Tokens)
	}
	c.applyDPoPDefaults()
	if !c.explicitDurations {
		c.Keys.applyDefaults()
		setDuration(&c.Audit.Retention, DefaultAuditRetention)
	}
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

func (cl *Client) applyDefaults(server Tokens) {
	cl.applyProfile()
	if cl.Type == "" {
		cl.Type = ClientConfidential
		if cl.AuthMethod == AuthNone {
			cl.Type = ClientPublic // "auth_method: none" says what the client is
		}
	}
	if cl.AuthMethod == "" {
		switch cl.Type {
		case ClientPublic:
			cl.AuthMethod = AuthNone
		case ClientConfidential:
			cl.AuthMethod = AuthSecretBasic
		}
	}
	if cl.GrantTypes == nil {
		cl.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
		if cl.Type == ClientPublic {
			// Public clients never receive refresh tokens (seed), so their
			// default cannot include the refresh_token grant.
			cl.GrantTypes = []string{GrantAuthorizationCode}
		}
	}
	if cl.Scopes == nil {
		cl.Scopes = []string{ScopeOpenID}
	}
	if cl.ResponseTypes == nil && cl.HasGrant(GrantAuthorizationCode) {
		cl.ResponseTypes = []string{ResponseCode}
	}
	if cl.Type == ClientPublic {
		cl.RequirePKCE = true // RFC 9700 §2.1.1: public clients must use PKCE
	}
	cl.Tokens = server.apply(cl.TokensOverride)
	if cl.IDTokenSignedResponseAlg != "" {
		cl.Tokens.IDTokenSigningAlg = cl.IDTokenSignedResponseAlg
	}
}

// resolveAlgs fills the server-wide algorithms: a specific key as given,
// else the signing_alg shorthand, else the default.
func (t *Tokens) resolveAlgs() {
	for _, a := range []struct {
		dst *string
		def string
	}{{&t.AccessTokenSigningAlg, DefaultAccessTokenSigningAlg}, {&t.IDTokenSigningAlg, DefaultIDTokenSigningAlg}} {
		if *a.dst == "" {
			*a.dst = t.SigningAlg
		}
		if *a.dst == "" {
			*a.dst = a.def
		}
	}
}

// apply returns t with the keys given in p replaced.
func (t Tokens) apply(p *TokensPatch) Tokens {
	if p == nil {
		return t
	}
	setIf(&t.AccessTokenLifetime, p.AccessTokenLifetime)
	setIf(&t.IDTokenLifetime, p.IDTokenLifetime)
	if p.SigningAlg != nil {
		t.SigningAlg, t.AccessTokenSigningAlg, t.IDTokenSigningAlg = *p.SigningAlg, *p.SigningAlg, *p.SigningAlg
	}
	setIf(&t.AccessTokenSigningAlg, p.AccessTokenSigningAlg)
	if r := p.RefreshToken; r != nil {
		setIf(&t.RefreshToken.Rotation, r.Rotation)
		setIf(&t.RefreshToken.IdleLifetime, r.IdleLifetime)
		setIf(&t.RefreshToken.MaxLifetime, r.MaxLifetime)
		setIf(&t.RefreshToken.ReuseGrace, r.ReuseGrace)
	}
	return t
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
