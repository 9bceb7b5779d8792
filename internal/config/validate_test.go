package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

const (
	testSecret     = "NoRfcXMW9DsFKoPmUvaDQosq0Kye0bNFOF4AdYDcl0Q"
	testSecretHash = "sha256:S2DC6ViTt0CN5WspLQkbjOAezGHIrMtJPAG2SJFStEY" // of testSecret
	testBcrypt     = "$2a$10$ilgjaIE4TNHpuIgmE2NPpO/qTVm8t3PDthnSE3no2KDDobYHIz0X."
)

var testKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

// jwksOf renders keys as the map the YAML decoder would produce.
func jwksOf(t testing.TB, keys ...any) map[string]any {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k, KeyID: "k1"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// validConfig returns a configuration that passes Finish; each test case
// breaks one thing in it.
func validConfig(t testing.TB) *Config {
	c := Default()
	c.Issuer = "https://login.example.com"
	c.Clients = []Client{
		{ID: "web", SecretHash: testSecretHash, RedirectURIs: []string{"https://app.example.com/cb"},
			Scopes: []string{"openid", "offline_access"}, AllowOfflineAccess: true},
		{ID: "svc", AuthMethod: AuthSecretPost, Secret: testSecret, GrantTypes: []string{"client_credentials"}},
		{ID: "spa", Type: ClientPublic, RedirectURIs: []string{"http://127.0.0.1:5173/cb"}},
		{ID: "jwt", AuthMethod: AuthPrivateKeyJWT, JWKS: jwksOf(t, &testKey.PublicKey), GrantTypes: []string{"client_credentials"}},
	}
	c.Users = []User{
		{Username: "alice", PasswordHash: testBcrypt, Subject: "sub-alice", Claims: map[string]any{"email": "a@example.com"}},
		{Username: "bob", PasswordHash: testBcrypt, Subject: "sub-bob"},
	}
	return c
}

func TestValidConfig(t *testing.T) {
	c := validConfig(t)
	if err := c.Finish(); err != nil {
		t.Fatalf("validConfig: %v", err)
	}
	spa, _ := c.Client("spa")
	if spa.AuthMethod != AuthNone || len(spa.GrantTypes) != 1 || spa.GrantTypes[0] != GrantAuthorizationCode {
		t.Errorf("public defaults: auth %q grants %v", spa.AuthMethod, spa.GrantTypes)
	}
	web, _ := c.Client("web")
	if web.AuthMethod != AuthSecretBasic || !web.HasGrant("refresh_token") || !web.HasGrant("authorization_code") || web.HasGrant("password") {
		t.Errorf("confidential defaults: auth %q grants %v", web.AuthMethod, web.GrantTypes)
	}
	if !web.AllowsScope("offline_access") || web.AllowsScope("email") {
		t.Errorf("AllowsScope wrong for %v", web.Scopes)
	}
	svc, _ := c.Client("svc")
	if svc.Secret != "" || svc.SecretHash != testSecretHash || svc.Scopes[0] != "openid" {
		t.Errorf("svc after Finish: %+v", svc)
	}
	if _, ok := c.Client("nobody"); ok {
		t.Error("Client(unknown) found something")
	}
	if _, ok := c.User("carol"); ok {
		t.Error("User(unknown) found something")
	}
	if u, ok := c.User("bob"); !ok || u.Subject != "sub-bob" {
		t.Errorf("User(bob) = %v, %v", u, ok)
	}
	if err := c.Finish(); err != nil {
		t.Errorf("a second Finish fails: %v", err)
	}
}

func TestFinishOnZeroConfig(t *testing.T) {
	c := &Config{Clients: []Client{{ID: "a", AuthMethod: AuthNone, RedirectURIs: []string{"https://a.example/cb"}}}}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	if c.Tokens.RefreshToken.ReuseGrace != DefaultReuseGrace || c.Tokens.AccessTokenLifetime != DefaultAccessTokenTTL {
		t.Errorf("zero Config did not get duration defaults: %+v", c.Tokens)
	}
	if a, _ := c.Client("a"); a.Type != ClientPublic {
		t.Errorf("auth_method none did not make the client public: %q", a.Type)
	}
}

func TestPlainPasswordIsHashed(t *testing.T) {
	c := validConfig(t)
	c.Users[0].PasswordHash, c.Users[0].Password = "", "correct horse"
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	if u, _ := c.User("alice"); u.Password != "" || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") {
		t.Errorf("alice after Finish: %+v", u)
	}
}

func TestWarnings(t *testing.T) {
	c := validConfig(t)
	c.Issuer = "http://login.example.com"
	c.Clients[1].Scopes = []string{"offline_access"}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings(), "\n")
	if !strings.Contains(w, "issuer: uses http") || !strings.Contains(w, `clients[1] "svc".scopes`) {
		t.Errorf("warnings = %q", w)
	}
}

func TestSeveralProblemsAtOnce(t *testing.T) {
	c := validConfig(t)
	c.Issuer = "not a url"
	c.Tokens.RefreshToken.Rotation = "sometimes"
	c.Clients[2].AllowOfflineAccess = true
	c.Users[1].Subject = "sub-alice"
	err := c.Finish()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Finish = %v, want *Error", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(ce.Problems) != 4 || len(lines) != 5 || !strings.HasPrefix(lines[0], "invalid configuration (4 problems)") {
		t.Fatalf("want 4 problems, one per line, got:\n%v", err)
	}
	for i, field := range []string{"issuer", "tokens.refresh_token.rotation", `clients[2] "spa".allow_offline_access`, `users[1] "bob".subject`} {
		if !strings.HasPrefix(lines[i+1], "  "+field+": ") {
			t.Errorf("line %d = %q, want it to name %s", i+1, lines[i+1], field)
		}
	}
	if !strings.Contains(err.Error(), `clients[2] "spa".allow_offline_access: a public client cannot have allow_offline_access: public clients never receive refresh tokens`) {
		t.Errorf("offline access message: %v", err)
	}
}
