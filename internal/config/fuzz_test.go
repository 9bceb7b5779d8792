package config

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzCheckRedirectURI: whatever checkRedirectURI accepts is what RFC 6749
// §3.1.2 asks of a redirection endpoint: an absolute URI that parses, with
// no fragment (not even an empty one), and for http(s) a host. Every
// refusal says why.
func FuzzCheckRedirectURI(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		reason := checkRedirectURI(raw)
		if reason != "" {
			return
		}
		if err := checkAcceptedRedirectURI(raw); err != nil {
			t.Fatalf("accepted redirect URI %q: %v", raw, err)
		}
	})
}

// checkAcceptedRedirectURI states the rules of RFC 6749 §3.1.2 without the
// code under test.
func checkAcceptedRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case u.Scheme == "" || !u.IsAbs():
		return errors.New("not absolute")
	case strings.Contains(raw, "#") || u.Fragment != "" || u.RawFragment != "":
		return errors.New("has a fragment")
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return errors.New("http(s) without a host")
	}
	return nil
}

// FuzzParse decodes random YAML as a configuration file. Parse either
// refuses it with an *Error that names a field for each problem, or yields a
// configuration that passes validation again as it stands (Finish's output
// is a fixed point), holds no plain secret or password, finds every client
// and user by its key, and keeps the invariants that matter for security
// whatever validate says about them.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		// Each plain password costs one argon2id hash (19 MiB, ~17 ms);
		// inputs that would hash dozens say nothing more than those with a
		// few. (The example file names "password" five times, one of them a
		// plain password.)
		plain := bytes.Count(data, []byte("password")) - bytes.Count(data, []byte("password_hash"))
		if len(data) > 16<<10 || plain > 6 || bytes.Count(data, []byte("*")) > 16 {
			t.Skip()
		}
		c, err := Parse(data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				// Finish hashes passwords only after validation; a hashing
				// failure is the one non-*Error it may return.
				if !strings.Contains(err.Error(), "hashing the password") {
					t.Fatalf("refusal %v (%T) is not a *config.Error", err, err)
				}
				return
			}
			if len(ce.Problems) == 0 {
				t.Fatalf("*Error with no problem")
			}
			for _, p := range ce.Problems {
				if p.Field == "" || p.Reason == "" {
					t.Fatalf("problem %+v lacks a field or a reason", p)
				}
			}
			return
		}
		checkFinished(t, c)
	})
}

// checkFinished holds for every configuration Parse returns.
func checkFinished(t *testing.T, c *Config) {
	t.Helper()
	var ck checker
	c.validate(&ck)
	if len(ck.problems) > 0 {
		t.Fatalf("a parsed configuration fails validation again: %v", ck.problems)
	}
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || strings.Contains(c.Issuer, "#") {
		t.Fatalf("issuer %q is not an http(s) URL without query or fragment", c.Issuer)
	}
	checkLifetimes(t, "tokens", c.Tokens)
	for i := range c.Clients {
		cl := &c.Clients[i]
		if got, ok := c.Client(cl.ID); !ok || got != cl {
			t.Fatalf("Client(%q) does not find clients[%d]", cl.ID, i)
		}
		if cl.Secret != "" {
			t.Fatalf("client %q keeps its plain secret", cl.ID)
		}
		checkLifetimes(t, "client "+cl.ID, cl.Tokens)
		for _, ru := range append(slices.Clone(cl.RedirectURIs), cl.PostLogoutRedirectURIs...) {
			if err := checkAcceptedRedirectURI(ru); err != nil {
				t.Fatalf("client %q has redirect URI %q: %v", cl.ID, ru, err)
			}
		}
		if cl.HasGrant(GrantAuthorizationCode) && len(cl.RedirectURIs) == 0 {
			t.Fatalf("client %q has the code flow and no redirect URI", cl.ID)
		}
		switch cl.Type {
		case ClientPublic:
			// Seed rules: a public client proves nothing, so it gets PKCE
			// always and no refresh token, ever.
			if cl.AuthMethod != AuthNone || cl.SecretHash != "" || !cl.RequirePKCE || cl.AllowOfflineAccess ||
				cl.HasGrant(GrantRefreshToken) || cl.HasGrant(GrantPassword) || cl.HasGrant(GrantClientCredentials) {
				t.Fatalf("public client %+v breaks a public-client rule", *cl)
			}
		case ClientConfidential:
			switch cl.AuthMethod {
			case AuthSecretBasic, AuthSecretPost:
				if cl.SecretHash == "" {
					t.Fatalf("client %q authenticates with a secret but has none", cl.ID)
				}
			case AuthPrivateKeyJWT:
				ks := cl.Keys()
				if ks == nil || len(ks.Keys) == 0 {
					t.Fatalf("private_key_jwt client %q has no keys", cl.ID)
				}
				for _, k := range ks.Keys {
					if !k.IsPublic() {
						t.Fatalf("client %q keeps a private key", cl.ID)
					}
				}
			default:
				t.Fatalf("confidential client %q with auth_method %q", cl.ID, cl.AuthMethod)
			}
		default:
			t.Fatalf("client %q of type %q", cl.ID, cl.Type)
		}
		if cl.AllowOfflineAccess && (!cl.HasGrant(GrantRefreshToken) || !cl.AllowsScope(ScopeOfflineAccess)) {
			t.Fatalf("client %q allows offline access without the refresh grant or the offline_access scope", cl.ID)
		}
	}
	for i := range c.Users {
		u := &c.Users[i]
		if u.Password != "" || u.PasswordHash == "" {
			t.Fatalf("user %q keeps a plain password or has no hash", u.Username)
		}
		if got, ok := c.User(u.Username); !ok || got != u {
			t.Fatalf("User(%q) does not find users[%d]", u.Username, i)
		}
		if got, ok := c.UserBySubject(u.Subject); !ok || got != u {
			t.Fatalf("UserBySubject(%q) does not find users[%d]", u.Subject, i)
		}
	}
}

// checkLifetimes: every lifetime positive, idle within max, the grace
// window shorter than idle.
func checkLifetimes(t *testing.T, where string, tk Tokens) {
	t.Helper()
	rt := tk.RefreshToken
	if tk.AccessTokenLifetime <= 0 || tk.IDTokenLifetime <= 0 || rt.IdleLifetime <= 0 || rt.MaxLifetime <= 0 ||
		rt.IdleLifetime > rt.MaxLifetime || rt.ReuseGrace < 0 || rt.ReuseGrace >= rt.IdleLifetime {
		t.Fatalf("%s: lifetimes %+v break the rules", where, tk)
	}
	for _, alg := range []string{tk.AccessTokenSigningAlg, tk.IDTokenSigningAlg} {
		if alg != "RS256" && alg != "ES256" {
			t.Fatalf("%s: signing algorithm %q (access %q, ID %q)", where, alg, tk.AccessTokenSigningAlg, tk.IDTokenSigningAlg)
		}
	}
	if rt.Rotation != RotationOneTime && rt.Rotation != RotationReuse {
		t.Fatalf("%s: rotation %q", where, rt.Rotation)
	}
}
