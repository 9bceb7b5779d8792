package config

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// validate checks the whole (defaulted) configuration, collecting every
// problem instead of stopping at the first.
func (c *Config) validate(ck *checker) {
	listenOK := c.checkListen(ck)
	if c.Issuer != "" || listenOK { // an issuer derived from a bad listen would repeat that error
		checkIssuer(ck, c.Issuer)
	}
	checkStorage(ck, c.Storage)
	c.checkStorageOptions(ck, c.storageKeys != nil || c.StorageOptions != StorageOptions{}, c.storageKeys)
	if strings.TrimSpace(c.SystemSecretFile) == "" {
		ck.add("system_secret_file", "must name the file holding the system secret")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		ck.add("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		ck.add("log_format", "%q is not one of text, json", c.LogFormat)
	}
	c.checkEdge(ck)
	serverTokensOK := checkTokens(ck, "tokens", c.Tokens)
	t := c.Tokens
	// A value inherited from signing_alg is reported once, under its name.
	checkAlg(ck, "tokens.signing_alg", t.SigningAlg)
	if t.AccessTokenSigningAlg != t.SigningAlg {
		checkAlg(ck, "tokens.access_token_signing_alg", t.AccessTokenSigningAlg)
	}
	if t.IDTokenSigningAlg != t.SigningAlg {
		checkAlg(ck, "tokens.id_token_signing_alg", t.IDTokenSigningAlg)
	}
	if c.Session.Lifetime <= 0 {
		ck.add("session.lifetime", "must be longer than 0s")
	}

	ids := make(map[string]int, len(c.Clients))
	for i := range c.Clients {
		cl := &c.Clients[i]
		path := clientPath(i, cl.ID)
		if prev, dup := ids[cl.ID]; dup && cl.ID != "" {
			ck.add(path+".id", "duplicates clients[%d]: client ids must be unique", prev)
		} else {
			ids[cl.ID] = i
		}
		cl.validate(ck, path)
		// The client's own keys, as written: what it inherits was checked above.
		if p := cl.TokensOverride; p != nil {
			checkAlg(ck, path+".tokens.signing_alg", deref(p.SigningAlg))
			checkAlg(ck, path+".tokens.access_token_signing_alg", deref(p.AccessTokenSigningAlg))
		}
		checkAlg(ck, path+".id_token_signed_response_alg", cl.IDTokenSignedResponseAlg)
		// Checked only if the server-wide block is sound, so one mistake
		// there is not repeated once per client.
		if cl.TokensOverride != nil && serverTokensOK {
			checkTokens(ck, path+".tokens", cl.Tokens)
		}
	}
	c.checkResources(ck) // resource.go
	c.checkUsers(ck)
	c.checkSubjects(ck) // validate_subjects.go
	c.checkThrottle(ck)
	c.checkDPoP(ck)
	c.checkKeys(ck)   // keys.go
	c.checkSigned(ck) // signed.go
	c.checkAdmin(ck)  // admin.go
	c.checkAudit(ck)  // audit.go
}

func clientPath(i int, id string) string {
	if id == "" {
		return fmt.Sprintf("clients[%d]", i)
	}
	return fmt.Sprintf("clients[%d] %q", i, id)
}

func (c *Config) checkListen(ck *checker) bool {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		ck.add("listen", "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Listen)
		return false
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		ck.add("listen", "port %q is not a number from 0 to 65535", port)
		return false
	}
	if strings.ContainsAny(host, " /") {
		ck.add("listen", "host %q is not a host name or IP address", host)
		return false
	}
	return true
}

// checkIssuer: OIDC Core §2 / RFC 8414 §2: the issuer is an https URL with
// no query or fragment. http is tolerated (development) but noted.
func checkIssuer(ck *checker, issuer string) {
	u, err := url.Parse(issuer)
	switch {
	case issuer == "":
		ck.add("issuer", "must be set")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		ck.add("issuer", "%q is not an absolute http(s) URL such as https://login.example.com", issuer)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#"):
		ck.add("issuer", "must not have a query or fragment (OIDC Core §2, RFC 8414 §2)")
	case u.User != nil:
		ck.add("issuer", "must not contain user information")
	case strings.HasSuffix(u.Path, "/"):
		ck.add("issuer", "must not end with \"/\": endpoint URLs are the issuer followed by their path, and clients compare the issuer string exactly")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		ck.warn("issuer", "uses http on a non-loopback host; tokens and secrets would cross the network unencrypted (use https in production)")
	}
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkStorage(ck *checker, s string) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		if strings.TrimPrefix(s, "sqlite:") == "" {
			ck.add("storage", "sqlite: needs a file path, e.g. sqlite:./.tollgate/tollgate.db")
		}
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if u, err := url.Parse(s); err != nil || u.Host == "" {
			ck.add("storage", "is not a valid PostgreSQL URL (postgres://user@host:5432/dbname?sslmode=verify-full)")
		}
	default:
		ck.add("storage", "unknown storage %q: use sqlite:PATH or postgres://user@host:5432/dbname?sslmode=verify-full", redactDSN(s))
	}
}

// redactDSN drops anything that could be a password from a storage string
// before it is shown.
func redactDSN(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = url.User("REDACTED")
		return u.String()
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return "…" + s[i:]
	}
	return s
}

// checkAlg reports a token signing algorithm Tollgate does not sign with;
// empty is "not given" and passes.
func checkAlg(ck *checker, path, alg string) {
	switch alg {
	case "", "RS256", "ES256":
	default:
		ck.add(path, "%q is not supported: use RS256 or ES256", alg)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkTokens validates one set of lifetimes; it reports whether all was well.
func checkTokens(ck *checker, path string, t Tokens) bool {
	before := len(ck.problems)
	if t.AccessTokenLifetime <= 0 {
		ck.add(path+".access_token_lifetime", "must be greater than 0 (got %v)", t.AccessTokenLifetime)
	}
	if t.IDTokenLifetime <= 0 {
		ck.add(path+".id_token_lifetime", "must be greater than 0 (got %v)", t.IDTokenLifetime)
	}
	rt, rp := t.RefreshToken, path+".refresh_token"
	switch rt.Rotation {
	case RotationOneTime, RotationReuse:
	default:
		ck.add(rp+".rotation", "%q is not one of %s, %s", rt.Rotation, RotationOneTime, RotationReuse)
	}
	if rt.IdleLifetime <= 0 {
		ck.add(rp+".idle_lifetime", "must be greater than 0 (got %v)", rt.IdleLifetime)
	}
	if rt.MaxLifetime <= 0 {
		ck.add(rp+".max_lifetime", "must be greater than 0 (got %v)", rt.MaxLifetime)
	}
	if rt.IdleLifetime > rt.MaxLifetime && rt.MaxLifetime > 0 {
		ck.add(rp+".idle_lifetime", "%v is longer than max_lifetime (%v); a refresh token never outlives its grant", rt.IdleLifetime, rt.MaxLifetime)
	}
	if rt.ReuseGrace < 0 {
		ck.add(rp+".reuse_grace", "must not be negative (got %v); 0s turns the grace window off", rt.ReuseGrace)
	} else if rt.IdleLifetime > 0 && rt.ReuseGrace >= rt.IdleLifetime {
		ck.add(rp+".reuse_grace", "%v must be shorter than idle_lifetime (%v)", rt.ReuseGrace, rt.IdleLifetime)
	}
	return len(ck.problems) == before
}

// protectedClaims are set by the server in ID and access tokens (OIDC Core
// §2, RFC 9068 §2.2); a user's claims must not override them, or a
// configuration entry could forge the subject, audience or lifetime.
var protectedClaims = []string{
	"sub", "iss", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce",
	"azp", "at_hash", "c_hash", "acr", "amr", "sid", "client_id", "scope",
	"cnf", // RFC 9449 §6: a user claim must never bind a token to a key
}

func (c *Config) checkUsers(ck *checker) {
	names := make(map[string]int, len(c.Users))
	subs := make(map[string]int, len(c.Users))
	for i := range c.Users {
		u := &c.Users[i]
		path := fmt.Sprintf("users[%d]", i)
		if u.Username != "" {
			path = fmt.Sprintf("users[%d] %q", i, u.Username)
		}
		if u.Username == "" {
			ck.add(path+".username", "must be set")
		} else if prev, dup := names[u.Username]; dup {
			ck.add(path+".username", "duplicates users[%d]: usernames must be unique", prev)
		} else {
			names[u.Username] = i
		}
		switch {
		case u.Subject == "":
			ck.add(path+".subject", "must be set: it is the stable sub claim of every token issued for this user")
		case len(u.Subject) > 255 || !isPrintableASCII(u.Subject):
			ck.add(path+".subject", "must be at most 255 printable ASCII characters without spaces (OIDC Core §2)")
		default:
			if prev, dup := subs[u.Subject]; dup {
				ck.add(path+".subject", "duplicates users[%d]: two users with one subject would share tokens", prev)
			} else {
				subs[u.Subject] = i
			}
		}
		switch {
		case u.Password != "" && u.PasswordHash != "":
			ck.add(path+".password", "give password or password_hash, not both")
		case u.Password == "" && u.PasswordHash == "":
			ck.add(path+".password_hash", "give password_hash (argon2id or bcrypt) or password")
		case u.PasswordHash != "":
			if err := secret.CheckPasswordHash(u.PasswordHash); err != nil {
				ck.add(path+".password_hash", "%v", err)
			}
		default:
			ck.warn(path+".password", "is plain text in the configuration; store password_hash (argon2id) instead")
		}
		for _, name := range protectedClaims {
			if _, ok := u.Claims[name]; ok {
				ck.add(path+".claims."+name, "is set by the server and cannot be overridden")
			}
		}
		if _, err := json.Marshal(u.Claims); err != nil {
			ck.add(path+".claims", "cannot be written as JSON (%v); use string keys at every level", err)
		}
	}
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
