package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

const (
	issuer        = "https://login.example.com"
	tokenEndpoint = "https://login.example.com/connect/token"
)

var (
	basicSecret = secret.Generate()
	postSecret  = secret.Generate()
	testNow     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	ecKey, _       = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384Key, _    = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _      = rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _    = ed25519.GenerateKey(rand.Reader)
	otherKey, _    = ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // registered to client "jwt2"
	strangerKey    = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	testConfig     *config.Config
	testConfigOnce sync.Once
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// jwksOf renders public keys as the map the YAML decoder would produce.
func jwksOf(keys ...jose.JSONWebKey) map[string]any {
	b := must(json.Marshal(jose.JSONWebKeySet{Keys: keys}))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

// clients returns a finished configuration with one client per method.
func clients(t testing.TB) *config.Config {
	t.Helper()
	testConfigOnce.Do(func() {
		c := config.Default()
		c.Issuer = issuer
		c.Clients = []config.Client{
			{ID: "basic", Secret: basicSecret, GrantTypes: []string{"client_credentials"}},
			{ID: "post", AuthMethod: config.AuthSecretPost, Secret: postSecret, GrantTypes: []string{"client_credentials"}},
			{ID: "pub", Type: config.ClientPublic, RedirectURIs: []string{"https://spa.example/cb"}},
			{ID: "jwt", AuthMethod: config.AuthPrivateKeyJWT, GrantTypes: []string{"client_credentials"}, JWKS: jwksOf(
				jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "ec1"},
				jose.JSONWebKey{Key: &ec384Key.PublicKey, KeyID: "ec384"},
				jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "rsa1"},
				jose.JSONWebKey{Key: edKey.Public(), KeyID: "ed1", Algorithm: "EdDSA"},
			)},
			{ID: "jwt2", AuthMethod: config.AuthPrivateKeyJWT, GrantTypes: []string{"client_credentials"}, JWKS: jwksOf(
				jose.JSONWebKey{Key: &otherKey.PublicKey, KeyID: "ec1"},
			)},
		}
		if err := c.Finish(); err != nil {
			panic(err)
		}
		testConfig = c
	})
	return testConfig
}

// memJTI is the JTIStore contract in a map: a (client, jti) pair is refused
// until its expiry is before the caller's now.
type memJTI struct {
	mu   sync.Mutex
	seen map[[2]string]time.Time
	fail error // returned by every call when set
}

func (m *memJTI) UseJTI(_ context.Context, clientID, jti string, expiresAt, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	k := [2]string{clientID, jti}
	if exp, ok := m.seen[k]; ok && !exp.Before(now) {
		return fmt.Errorf("jti %s: %w", jti, store.ErrConflict)
	}
	m.seen[k] = expiresAt
	return nil
}

func newAuth(t testing.TB) (*Authenticator, *memJTI, *time.Time) {
	now := testNow
	clock := func() time.Time { return now }
	jti := &memJTI{seen: map[[2]string]time.Time{}}
	return &Authenticator{Clients: clients(t), JTI: jti, Issuer: issuer, Now: clock}, jti, &now
}

var jtiCounter int

func claimsFor(client string, now time.Time) jwt.Claims {
	jtiCounter++
	return jwt.Claims{
		Issuer: client, Subject: client, Audience: jwt.Audience{issuer},
		Expiry: jwt.NewNumericDate(now.Add(30 * time.Second)), IssuedAt: jwt.NewNumericDate(now),
		ID: fmt.Sprintf("jti-%d", jtiCounter),
	}
}

func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jwtCreds(assertion string) Credentials {
	return Credentials{Method: config.AuthPrivateKeyJWT, AssertionType: AssertionType, Assertion: assertion, Endpoint: tokenEndpoint}
}

// wantErr checks err is an *oautherr.Error with that code and a description
// containing every fragment.
func wantErr(t *testing.T, err error, code string, fragments ...string) {
	t.Helper()
	var e *oautherr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *oautherr.Error %s", err, code)
	}
	if e.Code != code || e.Status != oautherr.StatusFor(code) {
		t.Fatalf("error = %s (%d) %q, want %s", e.Code, e.Status, e.Description, code)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Description, f) {
			t.Errorf("description %q does not contain %q", e.Description, f)
		}
	}
}

func ecdsaP521() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) }

func splitJWS(s string) []string { return strings.SplitN(s, ".", 3) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
