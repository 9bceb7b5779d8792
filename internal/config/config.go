package config

import (
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Config is the whole server configuration (tollgate.yaml). Build one with
// Load or Parse, or in code followed by Finish; the lookups (Client, User,
// UserBySubject) work only after Finish.
type Config struct {
	Issuer  string `yaml:"issuer"`
	Listen  string `yaml:"listen"`
	Storage string `yaml:"storage"` // sqlite:PATH or postgres://user@host:5432/db?sslmode=verify-full
	// StorageOptions tune the PostgreSQL store; an error with sqlite.
	StorageOptions StorageOptions `yaml:"storage_options"`
	// SystemSecretFile holds the system secret (>= 32 bytes of entropy) that
	// seals signing keys in the store and keys the refresh-token derivation.
	// TOLLGATE_SYSTEM_SECRET overrides it.
	SystemSecretFile string   `yaml:"system_secret_file"`
	Tokens           Tokens   `yaml:"tokens"`
	Clients          []Client `yaml:"clients"`
	Users            []User   `yaml:"users"`
	LogLevel         string   `yaml:"log_level"` // debug | info | warn | error
	// LogFormat is how log lines are written: text (key=value, the
	// default) or json (one object a line, for a log collector).
	LogFormat string   `yaml:"log_format"`
	Session   Session  `yaml:"session"`
	Throttle  Throttle `yaml:"throttle"`
	DPoP      DPoP     `yaml:"dpop"` // RFC 9449 proofs (dpop.go)
	Keys      Keys     `yaml:"keys"` // signing-key rotation (keys.go)

	// Signed JWTs a client sends: client assertions (RFC 7523) and request
	// objects (RFC 9101). validate_signed.go checks them.
	ClientAssertion ClientAssertion `yaml:"client_assertion"`
	RequestObject   RequestObject   `yaml:"request_object"`

	// The HTTP edge: server limits, the TLS listener, and the proxies whose
	// forwarded headers are believed.
	HTTP           HTTP     `yaml:"http"`
	TLS            TLS      `yaml:"tls"`
	TrustedProxies []string `yaml:"trusted_proxies"` // IPs or CIDR prefixes

	// Admin is the admin listener: /metrics, later the admin API (admin.go).
	Admin Admin `yaml:"admin"`
	Audit Audit `yaml:"audit"` // the audit trail (audit.go)
	// Account is the person's own page, /account (account.go).
	Account Account `yaml:"account"`

	// Resources are the protected resources (APIs) clients may name with
	// the resource parameter (RFC 8707); see resource.go.
	Resources []Resource `yaml:"resources"`

	// Filled by Finish; never read from the file.
	clientsByID   map[string]*Client
	accountClient *Client // account.go: the built-in client of /account
	usersByName   map[string]*User
	usersBySub    map[string]*User
	warnings      []string
	// storageKeys: the keys of storage_options in the file (nil when the
	// file had no storage_options, or the Config was built in code).
	storageKeys map[string]bool
	// explicitDurations: the Tokens durations were pre-filled by Default, so
	// a zero is a value someone chose, not a missing key.
	explicitDurations bool
}

// Session holds the browser-session settings.
type Session struct {
	// Lifetime is how long a browser sign-in lasts (default 8h). Refresh
	// tokens granted for offline access outlive it by design.
	Lifetime time.Duration `yaml:"lifetime"`
}

// HTTP holds the HTTP server's limits (net/http.Server). Every timeout
// must be positive: zero would mean none, and a connection that never
// finishes its headers would hold its goroutine and socket for good.
type HTTP struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // request line and headers
	ReadTimeout       time.Duration `yaml:"read_timeout"`        // the whole request, body included
	WriteTimeout      time.Duration `yaml:"write_timeout"`       // from the end of the headers to the end of the response
	IdleTimeout       time.Duration `yaml:"idle_timeout"`        // a keep-alive connection between requests
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`    // request line and headers
	// ShutdownTimeout is how long a stopping server (SIGTERM, SIGINT)
	// waits for requests in flight before it cuts their connections.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// TLS makes the server listen with TLS (1.2 or later) using a PEM
// certificate chain and key. Relative paths are relative to the
// configuration file's folder. The files are re-read when they change, so a
// renewed certificate needs no restart.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Enabled reports whether a TLS listener is configured.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Response types of the authorize endpoint (OAuth 2.0 Multiple Response
// Type Encoding Practices; OIDC Core §3.3 for the hybrid ones).
const (
	ResponseCode             = "code"
	ResponseCodeIDToken      = "code id_token"
	ResponseCodeToken        = "code token"
	ResponseCodeIDTokenToken = "code id_token token"
)

// Rotation modes of refresh tokens.
const (
	RotationOneTime = "one_time"
	RotationReuse   = "reuse"
)

// Tokens are the lifetimes and signing choices, server-wide or per client.
//
// After Finish, AccessTokenSigningAlg and IDTokenSigningAlg are the
// effective algorithms; SigningAlg stays as written (the shorthand that
// sets both where the specific key is not given), possibly empty.
type Tokens struct {
	AccessTokenLifetime time.Duration `yaml:"access_token_lifetime"`
	IDTokenLifetime     time.Duration `yaml:"id_token_lifetime"`
	// AccessTokenSigningAlg signs access tokens: ES256 (default) | RS256.
	// Resource servers read them, and OIDC fixes no algorithm for them.
	AccessTokenSigningAlg string `yaml:"access_token_signing_alg"`
	// IDTokenSigningAlg signs ID tokens: RS256 (default, OIDC Core §15.1)
	// | ES256. A client chooses its own with id_token_signed_response_alg.
	IDTokenSigningAlg string `yaml:"id_token_signing_alg"`
	// SigningAlg is the shorthand for both: RS256 | ES256.
	SigningAlg   string       `yaml:"signing_alg"`
	RefreshToken RefreshToken `yaml:"refresh_token"`
}

// RefreshToken holds the refresh-token lifecycle settings.
type RefreshToken struct {
	Rotation     string        `yaml:"rotation"`      // one_time | reuse
	IdleLifetime time.Duration `yaml:"idle_lifetime"` // sliding
	MaxLifetime  time.Duration `yaml:"max_lifetime"`  // absolute from sign-in
	ReuseGrace   time.Duration `yaml:"reuse_grace"`
}

// Client types.
const (
	ClientConfidential = "confidential"
	ClientPublic       = "public"
)

// Grant types a client may be registered for (RFC 6749 §4, §6).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantPassword          = "password"
	GrantClientCredentials = "client_credentials"
)

// Scopes with a meaning to the server itself.
const (
	ScopeOpenID        = "openid"         // OIDC Core §3.1.2.1
	ScopeOfflineAccess = "offline_access" // OIDC Core §11: ask for a refresh token
	// ScopeAdmin lets a client call the admin API (the admin listener)
	// with an access token from the client credentials grant.
	ScopeAdmin = "tollgate:admin"
)

// Client authentication methods (RFC 7591 §2 names).
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none"
)

// Client is one registered client. After Load, SecretHash is always set for
// the secret methods (the plain Secret is hashed and dropped), and Tokens is
// the effective per-client token settings (server block with overrides applied).
type Client struct {
	ID                 string         `yaml:"id"`
	Name               string         `yaml:"name"`
	Type               string         `yaml:"type"`
	AuthMethod         string         `yaml:"auth_method"`
	Secret             string         `yaml:"secret"`
	SecretHash         string         `yaml:"secret_hash"`
	JWKS               map[string]any `yaml:"jwks"`
	RedirectURIs       []string       `yaml:"redirect_uris"`
	GrantTypes         []string       `yaml:"grant_types"`
	Scopes             []string       `yaml:"scopes"`
	AllowOfflineAccess bool           `yaml:"allow_offline_access"`
	TokensOverride     *TokensPatch   `yaml:"tokens"`
	// IDTokenSignedResponseAlg is the algorithm this client's ID tokens
	// are signed with (OIDC Dynamic Client Registration §2, same name);
	// empty means the server's tokens.id_token_signing_alg.
	IDTokenSignedResponseAlg string `yaml:"id_token_signed_response_alg"`
	// Browser sign-in (authorization code and hybrid flows).
	ResponseTypes          []string `yaml:"response_types"`  // default [code]
	RequirePKCE            bool     `yaml:"require_pkce"`    // always true for public clients
	RequirePAR             bool     `yaml:"require_par"`     // RFC 9126 §6
	RequireConsent         bool     `yaml:"require_consent"` // offline_access always asks
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris"`
	RevokeOnLogout         bool     `yaml:"revoke_on_logout"`
	// DPoP (RFC 9449, dpop.go): RequireDPoP refuses token requests
	// without a proof; DPoPSigningAlgs are the algorithms accepted from
	// this client (default: dpop.signing_alg_values);
	// DPoPBoundRefreshTokens (default true) binds a grant started with a
	// proof to its key for the grant's whole life.
	RequireDPoP            bool     `yaml:"require_dpop"`
	DPoPSigningAlgs        []string `yaml:"dpop_signing_alg_values"`
	DPoPBoundRefreshTokens *bool    `yaml:"dpop_bound_refresh_tokens"`
	// JWKSURI is where the client publishes its public keys (RFC 7591 §2
	// jwks_uri), instead of jwks: https, or http on a loopback host.
	JWKSURI string `yaml:"jwks_uri"`
	// RequireSignedRequestObject refuses authorization requests (at PAR and
	// at the authorization endpoint) that are not a signed request object
	// (RFC 9101 §10.5). Needs the client's keys (jwks or jwks_uri).
	RequireSignedRequestObject bool `yaml:"require_signed_request_object"`
	// Told when a grant is revoked for refresh token reuse or theft
	// (internal/notify; validate_notify.go): a Security Event Token pushed
	// to security_event_push_uri (RFC 8935), and a logout token to
	// backchannel_logout_uri (OIDC Back-Channel Logout 1.0 §2.2), which
	// the end-session endpoint uses too.
	SecurityEventPushURI             string `yaml:"security_event_push_uri"`
	BackchannelLogoutURI             string `yaml:"backchannel_logout_uri"`
	BackchannelLogoutSessionRequired bool   `yaml:"backchannel_logout_session_required"`

	// Resources are the resources (URIs under the top-level resources)
	// this client may ask for (RFC 8707).
	Resources []string `yaml:"resources"`

	// Tokens is the effective token settings for this client (filled by Load).
	Tokens Tokens `yaml:"-"`

	// Profile names a set of settings turned on together (profile.go);
	// "helseid" is the one there is. A client that sets a profile and then
	// contradicts it is refused.
	Profile string `yaml:"profile"`

	// keys is JWKS parsed and checked by Finish (private_key_jwt only).
	keys *jose.JSONWebKeySet
	// resources are Resources resolved by Finish.
	resources []*Resource
	// given are the keys the file gave this client (nil when built in
	// code), so a profile can tell a setting written false from one left out.
	given map[string]bool
}

// TokensPatch is a per-client override: only the keys given replace the
// server-wide values.
type TokensPatch struct {
	AccessTokenLifetime *time.Duration `yaml:"access_token_lifetime"`
	IDTokenLifetime     *time.Duration `yaml:"id_token_lifetime"`
	// AccessTokenSigningAlg overrides the access token's algorithm;
	// SigningAlg overrides both (the client's id_token_signed_response_alg
	// wins for the ID token, the specific key for the access token).
	AccessTokenSigningAlg *string            `yaml:"access_token_signing_alg"`
	SigningAlg            *string            `yaml:"signing_alg"`
	RefreshToken          *RefreshTokenPatch `yaml:"refresh_token"`
}

// RefreshTokenPatch is the per-client override of RefreshToken.
type RefreshTokenPatch struct {
	Rotation     *string        `yaml:"rotation"`
	IdleLifetime *time.Duration `yaml:"idle_lifetime"`
	MaxLifetime  *time.Duration `yaml:"max_lifetime"`
	ReuseGrace   *time.Duration `yaml:"reuse_grace"`
}

// User is one local user. After Load, PasswordHash is always set (the plain
// Password is hashed and dropped).
type User struct {
	Username     string         `yaml:"username"`
	Password     string         `yaml:"password"`
	PasswordHash string         `yaml:"password_hash"`
	Subject      string         `yaml:"subject"`
	Disabled     bool           `yaml:"disabled"`
	Claims       map[string]any `yaml:"claims"`
}
