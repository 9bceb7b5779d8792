package mint

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
)

const issuer = "https://auth.example.com"

var (
	setOnce sync.Once
	testKS  *keys.Set
	setErr  error
	// now is the fixed clock of these tests, on a whole second.
	now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
)

// testMinter returns a Minter over keys generated once per test binary.
func testMinter(tb testing.TB) *Minter {
	tb.Helper()
	setOnce.Do(func() {
		testKS, setErr = keys.Load(context.Background(), memstore.New(), []byte("0123456789abcdef0123456789abcdef"), now)
	})
	if setErr != nil {
		tb.Fatal(setErr)
	}
	return NewMinter(testKS, issuer)
}

// publishedKeys returns the JWK Set as a relying party would fetch it.
func publishedKeys(tb testing.TB, m *Minter) *jose.JSONWebKeySet {
	tb.Helper()
	var ks jose.JSONWebKeySet
	if err := json.Unmarshal(m.keys.JWKSJSON(), &ks); err != nil {
		tb.Fatal(err)
	}
	return &ks
}

// signingKID is the kid of the key that signs alg now.
func signingKID(tb testing.TB, m *Minter, alg string) string {
	tb.Helper()
	s, err := m.keys.JWSSigner(alg, "")
	if err != nil {
		tb.Fatal(err)
	}
	return s.KeyID()
}
