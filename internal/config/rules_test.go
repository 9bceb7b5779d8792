package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// ruleCase breaks one rule of a valid configuration; Finish must then
// report a problem whose field is field and whose reason contains reason.
type ruleCase struct {
	name   string
	break_ func(c *Config)
	field  string // must start a problem line
	reason string // must follow in the same problem
}

// runRuleCases runs each case on a fresh valid configuration.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(t)
			tc.break_(c)
			err := c.Finish()
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Finish = %v, want *Error", err)
			}
			for _, p := range ce.Problems {
				if p.Field == tc.field && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Errorf("no problem %s: …%s…; got:\n%v", tc.field, tc.reason, err)
		})
	}
}

// TestRules breaks one rule per case and checks that the error names the
// field and says why.
func TestRules(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	cases := []ruleCase{
		{"issuer not a URL", func(c *Config) { c.Issuer = "login.example.com" }, "issuer", "absolute http(s) URL"},
		{"issuer scheme", func(c *Config) { c.Issuer = "ftp://login.example.com" }, "issuer", "absolute http(s) URL"},
		{"issuer query", func(c *Config) { c.Issuer = "https://a.example?x=1" }, "issuer", "query or fragment"},
		{"issuer fragment", func(c *Config) { c.Issuer = "https://a.example#x" }, "issuer", "query or fragment"},
		{"issuer trailing slash", func(c *Config) { c.Issuer = "https://a.example/" }, "issuer", `must not end with "/"`},
		{"issuer userinfo", func(c *Config) { c.Issuer = "https://u:p@a.example" }, "issuer", "user information"},
		{"listen no port", func(c *Config) { c.Listen = "localhost" }, "listen", "host:port"},
		{"listen bad port", func(c *Config) { c.Listen = "localhost:99999" }, "listen", "0 to 65535"},
		{"storage scheme", func(c *Config) { c.Storage = "mysql://db/x" }, "storage", "sqlite:PATH or postgres://"},
		{"storage sqlite no path", func(c *Config) { c.Storage = "sqlite:" }, "storage", "needs a file path"},
		{"storage postgres no host", func(c *Config) { c.Storage = "postgres://" }, "storage", "PostgreSQL URL"},
		{"system secret file", func(c *Config) { c.SystemSecretFile = "  " }, "system_secret_file", "must name the file"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "log_level", `"loud" is not one of`},
		{"log format", func(c *Config) { c.LogFormat = "logfmt" }, "log_format", `"logfmt" is not one of text, json`},

		{"access lifetime 0", func(c *Config) { c.Tokens.AccessTokenLifetime = 0 }, "tokens.access_token_lifetime", "greater than 0"},
		{"id lifetime negative", func(c *Config) { c.Tokens.IDTokenLifetime = -time.Second }, "tokens.id_token_lifetime", "greater than 0"},
		{"signing alg", func(c *Config) { c.Tokens.SigningAlg = "HS256" }, "tokens.signing_alg", "RS256 or ES256"},
		{"rotation", func(c *Config) { c.Tokens.RefreshToken.Rotation = "always" }, "tokens.refresh_token.rotation", "one_time, reuse"},
		{"idle 0", func(c *Config) { c.Tokens.RefreshToken.IdleLifetime = 0 }, "tokens.refresh_token.idle_lifetime", "greater than 0"},
		{"max 0", func(c *Config) { c.Tokens.RefreshToken.MaxLifetime = 0 }, "tokens.refresh_token.max_lifetime", "greater than 0"},
		{"idle > max", func(c *Config) { c.Tokens.RefreshToken.IdleLifetime = 800 * time.Hour }, "tokens.refresh_token.idle_lifetime", "is longer than max_lifetime"},
		{"grace negative", func(c *Config) { c.Tokens.RefreshToken.ReuseGrace = -time.Second }, "tokens.refresh_token.reuse_grace", "negative"},
		{"grace >= idle", func(c *Config) { c.Tokens.RefreshToken.ReuseGrace = 360 * time.Hour }, "tokens.refresh_token.reuse_grace", "shorter than idle_lifetime"},
		{"client override", func(c *Config) {
			c.Clients[0].TokensOverride = &TokensPatch{RefreshToken: &RefreshTokenPatch{MaxLifetime: ptr(time.Hour)}}
		}, `clients[0] "web".tokens.refresh_token.idle_lifetime`, "is longer than max_lifetime"},
		{"client override alg", func(c *Config) { c.Clients[0].TokensOverride = &TokensPatch{SigningAlg: ptr("none")} }, `clients[0] "web".tokens.signing_alg`, "not supported"},

		{"client id empty", func(c *Config) { c.Clients[1].ID = "" }, "clients[1].id", "must be set"},
		{"client id duplicate", func(c *Config) { c.Clients[1].ID = "web" }, `clients[1] "web".id`, "duplicates clients[0]"},
		{"client type", func(c *Config) { c.Clients[0].Type = "trusted" }, `clients[0] "web".type`, "confidential, public"},
		{"auth method unknown", func(c *Config) { c.Clients[0].AuthMethod = "tls_client_auth" }, `clients[0] "web".auth_method`, "is not one of"},
		{"public with secret method", func(c *Config) { c.Clients[2].AuthMethod = AuthSecretBasic }, `clients[2] "spa".auth_method`, "must be none"},
		{"confidential with none", func(c *Config) { c.Clients[0].Type, c.Clients[0].AuthMethod = ClientConfidential, AuthNone }, `clients[0] "web".auth_method`, "must authenticate"},
		{"secret and hash", func(c *Config) { c.Clients[0].Secret = testSecret }, `clients[0] "web".secret`, "not both"},
		{"no secret", func(c *Config) { c.Clients[0].SecretHash = "" }, `clients[0] "web".secret_hash`, "tollgate secret"},
		{"short secret", func(c *Config) { c.Clients[1].Secret = "hunter2" }, `clients[1] "svc".secret`, "at least 32"},
		{"secret one short", func(c *Config) { c.Clients[1].Secret = strings.Repeat("x", 31) }, `clients[1] "svc".secret`, "is 31 characters; it must be at least 32 — run `tollgate secret`"},
		{"bad secret hash", func(c *Config) { c.Clients[0].SecretHash = "sha256:abc" }, `clients[0] "web".secret_hash`, "43 base64url"},
		{"plain text as hash", func(c *Config) { c.Clients[0].SecretHash = testSecret }, `clients[0] "web".secret_hash`, `must start with "sha256:"`},
		{"secret on jwt client", func(c *Config) { c.Clients[3].Secret = testSecret }, `clients[3] "jwt".secret`, "only used by client_secret_basic"},
		{"secret on public client", func(c *Config) { c.Clients[2].SecretHash = testSecretHash }, `clients[2] "spa".secret`, "only used by"},
		{"jwt without jwks", func(c *Config) { c.Clients[3].JWKS = nil }, `clients[3] "jwt".jwks`, "needs jwks"},
		{"jwks empty", func(c *Config) { c.Clients[3].JWKS = map[string]any{"keys": []any{}} }, `clients[3] "jwt".jwks`, "non-empty keys"},
		{"jwks unknown member", func(c *Config) { c.Clients[3].JWKS["kty"] = "EC" }, `clients[3] "jwt".jwks`, `unknown member "kty"`},
		{"jwks private key", func(c *Config) { c.Clients[3].JWKS = jwksOf(t, testKey) }, `clients[3] "jwt".jwks`, "private or symmetric"},
		{"jwks symmetric key", func(c *Config) { c.Clients[3].JWKS = jwksOf(t, []byte("0123456789abcdef0123456789abcdef")) }, `clients[3] "jwt".jwks`, "private or symmetric"},
		{"jwks broken key", func(c *Config) {
			c.Clients[3].JWKS = map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}}}
		}, `clients[3] "jwt".jwks`, "keys[0] is not a valid JWK"},
		{"jwks wrong use", func(c *Config) {
			c.Clients[3].JWKS["keys"].([]any)[0].(map[string]any)["use"] = "enc"
		}, `clients[3] "jwt".jwks`, `use "enc"`},
		{"jwks P-521", func(c *Config) { c.Clients[3].JWKS = jwksOf(t, &p521.PublicKey) }, `clients[3] "jwt".jwks`, "P-521"},
		{"jwks on secret client", func(c *Config) { c.Clients[0].JWKS = jwksOf(t, &p384.PublicKey) }, `clients[0] "web".jwks`, "only used by private_key_jwt"},

		{"unknown grant", func(c *Config) { c.Clients[0].GrantTypes = []string{"implicit"} }, `clients[0] "web".grant_types[0]`, `"implicit" is not one of`},
		{"duplicate grant", func(c *Config) { c.Clients[1].GrantTypes = []string{"client_credentials", "client_credentials"} }, `clients[1] "svc".grant_types[1]`, "listed twice"},
		{"no grants", func(c *Config) { c.Clients[1].GrantTypes = []string{} }, `clients[1] "svc".grant_types`, "at least one"},
		{"public refresh grant", func(c *Config) { c.Clients[2].GrantTypes = []string{"authorization_code", "refresh_token"} }, `clients[2] "spa".grant_types[1]`, "public clients never receive refresh tokens"},
		{"public client credentials", func(c *Config) { c.Clients[2].GrantTypes = []string{"authorization_code", "client_credentials"} }, `clients[2] "spa".grant_types[1]`, "client_credentials"},
		{"public password", func(c *Config) { c.Clients[2].GrantTypes = []string{"password"} }, `clients[2] "spa".grant_types[0]`, "password grant"},
		{"public offline", func(c *Config) { c.Clients[2].AllowOfflineAccess = true }, `clients[2] "spa".allow_offline_access`, "a public client cannot have allow_offline_access: public clients never receive refresh tokens"},
		{"offline without grant", func(c *Config) { c.Clients[0].GrantTypes = []string{"authorization_code"} }, `clients[0] "web".allow_offline_access`, `needs "refresh_token" in grant_types`},
		{"offline without scope", func(c *Config) { c.Clients[0].Scopes = []string{"openid"} }, `clients[0] "web".allow_offline_access`, `needs "offline_access" in scopes`},
		{"bad scope", func(c *Config) { c.Clients[0].Scopes = append(c.Clients[0].Scopes, "read write") }, `clients[0] "web".scopes[2]`, "not a valid scope token"},
		{"empty scope", func(c *Config) { c.Clients[1].Scopes = []string{""} }, `clients[1] "svc".scopes[0]`, "not a valid scope token"},
		{"duplicate scope", func(c *Config) { c.Clients[0].Scopes = append(c.Clients[0].Scopes, "openid") }, `clients[0] "web".scopes[2]`, "listed twice"},
		{"relative redirect", func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }, `clients[0] "web".redirect_uris[0]`, "not an absolute URL"},
		{"redirect fragment", func(c *Config) { c.Clients[0].RedirectURIs = []string{"https://a.example/cb#x"} }, `clients[0] "web".redirect_uris[0]`, "fragment"},
		{"redirect empty fragment", func(c *Config) { c.Clients[0].RedirectURIs = []string{"https://a.example/cb#"} }, `clients[0] "web".redirect_uris[0]`, "fragment"},
		{"redirect no host", func(c *Config) { c.Clients[0].RedirectURIs = []string{"https:///cb"} }, `clients[0] "web".redirect_uris[0]`, "no host"},
		{"redirect javascript", func(c *Config) { c.Clients[0].RedirectURIs = []string{"javascript:alert(1)"} }, `clients[0] "web".redirect_uris[0]`, "browser handles itself"},
		{"redirect data", func(c *Config) { c.Clients[0].RedirectURIs = []string{"data:text/html,hi"} }, `clients[0] "web".redirect_uris[0]`, "browser handles itself"},
		{"redirect file", func(c *Config) { c.Clients[0].RedirectURIs = []string{"FILE:///etc/passwd"} }, `clients[0] "web".redirect_uris[0]`, "browser handles itself"},
		{"redirect plain http", func(c *Config) { c.Clients[0].RedirectURIs = []string{"http://a.example/cb"} }, `clients[0] "web".redirect_uris[0]`, "RFC 9700 §2.6"},
		{"redirect http localhost", func(c *Config) { c.Clients[0].RedirectURIs = []string{"http://localhost.example/cb"} }, `clients[0] "web".redirect_uris[0]`, "loopback"},
		{"redirect duplicate", func(c *Config) { c.Clients[0].RedirectURIs = []string{"https://a.example/cb", "https://a.example/cb"} }, `clients[0] "web".redirect_uris[1]`, "listed twice"},
		{"code without redirect", func(c *Config) { c.Clients[0].RedirectURIs = nil }, `clients[0] "web".redirect_uris`, "at least one redirect URI"},

		{"username empty", func(c *Config) { c.Users[0].Username = "" }, "users[0].username", "must be set"},
		{"username duplicate", func(c *Config) { c.Users[1].Username = "alice" }, `users[1] "alice".username`, "duplicates users[0]"},
		{"subject empty", func(c *Config) { c.Users[0].Subject = "" }, `users[0] "alice".subject`, "must be set"},
		{"subject duplicate", func(c *Config) { c.Users[1].Subject = "sub-alice" }, `users[1] "bob".subject`, "duplicates users[0]"},
		{"subject too long", func(c *Config) { c.Users[0].Subject = strings.Repeat("s", 256) }, `users[0] "alice".subject`, "255"},
		{"subject with space", func(c *Config) { c.Users[0].Subject = "a b" }, `users[0] "alice".subject`, "without spaces"},
		{"password and hash", func(c *Config) { c.Users[0].Password = "x" }, `users[0] "alice".password`, "not both"},
		{"no password", func(c *Config) { c.Users[0].PasswordHash = "" }, `users[0] "alice".password_hash`, "give password_hash"},
		{"bad password hash", func(c *Config) { c.Users[0].PasswordHash = "$1$md5crypt" }, `users[0] "alice".password_hash`, "argon2id"},
		{"protected claim", func(c *Config) { c.Users[0].Claims["sub"] = "root" }, `users[0] "alice".claims.sub`, "set by the server"},
		{"protected claim aud", func(c *Config) { c.Users[0].Claims["aud"] = "x" }, `users[0] "alice".claims.aud`, "set by the server"},
		{"claims not JSON", func(c *Config) { c.Users[0].Claims["address"] = map[any]any{1: "x"} }, `users[0] "alice".claims`, "JSON"},
	}
	runRuleCases(t, cases)
}

func TestSecretOfExactlyMinimumLength(t *testing.T) {
	c := validConfig(t)
	c.Clients[1].Secret = strings.Repeat("x", 32)
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestStorageErrorHidesPassword(t *testing.T) {
	c := validConfig(t)
	c.Storage = "mysql://admin:s3cret@db/x"
	err := c.Finish()
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Finish = %v: must fail without showing the password", err)
	}
}

func TestPostgresAcceptedSyntactically(t *testing.T) {
	for _, s := range []string{"postgres://u:p@db:5432/tollgate", "postgresql://db/tollgate?sslmode=require"} {
		c := validConfig(t)
		c.Storage = s
		if err := c.Finish(); err != nil {
			t.Errorf("storage %q: %v", s, err)
		}
	}
}
