package keys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	t0     = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	seedOnce sync.Once
	seedRows []store.SigningKey
)

// seeded returns a fresh store holding one key per algorithm, generated
// once per test binary (RSA generation is slow under -race).
func seeded(t *testing.T) *memStore {
	t.Helper()
	seedOnce.Do(func() {
		st := newMemStore()
		if _, err := Load(context.Background(), st, secret, t0); err != nil {
			t.Fatalf("seed Load: %v", err)
		}
		seedRows = st.rows
	})
	rows := make([]store.SigningKey, len(seedRows))
	for i, r := range seedRows {
		r.Sealed = bytes.Clone(r.Sealed)
		rows[i] = r
	}
	return newMemStore(rows...)
}

func TestLoadRoundTrip(t *testing.T) {
	st := seeded(t)
	if len(st.rows) != len(Algorithms) {
		t.Fatalf("stored %d keys, want %d", len(st.rows), len(Algorithms))
	}
	for _, r := range st.rows {
		if bytes.Contains(r.Sealed, []byte(`"d"`)) || bytes.Contains(r.Sealed, []byte(r.Algorithm)) {
			t.Errorf("key %s stored in the clear", r.ID)
		}
	}
	set, err := Load(context.Background(), st, secret, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.rows) != len(Algorithms) {
		t.Fatalf("second Load added keys: %d", len(st.rows))
	}
	for _, alg := range Algorithms {
		signer, err := set.JWSSigner(alg, "")
		if err != nil {
			t.Fatal(err)
		}
		kid := signer.KeyID()
		tok, err := signer.Sign([]byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		h := header(t, tok)
		if h.KeyID != kid || h.Algorithm != alg {
			t.Errorf("%s: header kid=%q alg=%q, want %q", alg, h.KeyID, h.Algorithm, kid)
		}
		pub, ok := set.PublicKey(kid)
		if !ok || !pub.IsPublic() {
			t.Fatalf("%s: PublicKey(%q) = %v, %v", alg, kid, pub, ok)
		}
		if got, err := verifyCompact(tok, pub); err != nil || string(got) != "hello" {
			t.Errorf("%s: verify: %q, %v", alg, got, err)
		}
	}
	if _, ok := set.PublicKey("nope"); ok {
		t.Error("PublicKey found an unknown kid")
	}
	if _, err := set.JWSSigner("HS256", ""); err == nil {
		t.Error("JWSSigner(HS256) succeeded")
	}
}

func TestJWKS(t *testing.T) {
	set, err := Load(context.Background(), seeded(t), secret, t0)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON jose.JSONWebKeySet
	if err := json.Unmarshal(set.JWKSJSON(), &fromJSON); err != nil {
		t.Fatal(err)
	}
	var raw struct{ Keys []map[string]any }
	if err := json.Unmarshal(set.JWKSJSON(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, ks := range []jose.JSONWebKeySet{set.JWKS(), fromJSON} {
		if len(ks.Keys) != len(Algorithms) {
			t.Fatalf("JWKS has %d keys", len(ks.Keys))
		}
		for _, k := range ks.Keys {
			if !k.IsPublic() || k.KeyID == "" || k.Use != "sig" || k.Algorithm == "" {
				t.Errorf("bad published key %+v", k)
			}
		}
	}
	for _, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS key %v carries private member %q", k["kid"], private)
			}
		}
	}
}

func TestJWSSignerCached(t *testing.T) {
	set, err := Load(context.Background(), seeded(t), secret, t0)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := set.JWSSigner("ES256", "at+jwt")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := set.JWSSigner("ES256", "at+jwt")
	if s1 != s2 {
		t.Error("JWSSigner not cached")
	}
	if s3, _ := set.JWSSigner("ES256", "JWT"); s3 == s1 {
		t.Error("one signer for two typ values")
	}
	tok, err := s1.Sign([]byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	h := header(t, tok)
	if h.ExtraHeaders[jose.HeaderType] != "at+jwt" || h.KeyID != s1.KeyID() || h.Algorithm != "ES256" {
		t.Errorf("header %+v", h)
	}
}

// header returns the protected header of a compact JWS as a verifier sees it.
func header(t *testing.T, tok string) jose.Header {
	t.Helper()
	parsed, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Signatures[0].Protected
}

// verifyCompact checks tok with go-jose against pub and returns the payload.
func verifyCompact(tok string, pub jose.JSONWebKey) ([]byte, error) {
	parsed, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(pub.Algorithm)})
	if err != nil {
		return nil, err
	}
	return parsed.Verify(pub)
}

// signingKID is the kid of the key that signs alg now.
func signingKID(t *testing.T, set *Set, alg string) string {
	t.Helper()
	s, err := set.JWSSigner(alg, "")
	if err != nil {
		t.Fatal(err)
	}
	return s.KeyID()
}

func TestShortSecret(t *testing.T) {
	_, err := Load(context.Background(), newMemStore(), secret[:31], t0)
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("err = %v", err)
	}
}

func TestWrongSecret(t *testing.T) {
	other := bytes.Repeat([]byte{'x'}, 32)
	_, err := Load(context.Background(), seeded(t), other, t0)
	if !errors.Is(err, ErrUnseal) || !strings.Contains(err.Error(), "was it changed?") {
		t.Fatalf("err = %v, want ErrUnseal", err)
	}
}

func TestTamperedSealed(t *testing.T) {
	for i := range 2 {
		st := seeded(t)
		s := st.rows[i].Sealed
		s[len(s)/2] ^= 0x01
		if _, err := Load(context.Background(), st, secret, t0); !errors.Is(err, ErrUnseal) {
			t.Errorf("row %d: err = %v, want ErrUnseal", i, err)
		}
	}
	st := seeded(t)
	st.rows[0].Sealed = st.rows[0].Sealed[:10]
	if _, err := Load(context.Background(), st, secret, t0); !errors.Is(err, ErrUnseal) {
		t.Errorf("truncated: err = %v, want ErrUnseal", err)
	}
}

func TestSwappedSealed(t *testing.T) {
	st := seeded(t)
	st.rows[0].Sealed, st.rows[1].Sealed = st.rows[1].Sealed, st.rows[0].Sealed
	if _, err := Load(context.Background(), st, secret, t0); !errors.Is(err, ErrUnseal) {
		t.Fatalf("err = %v, want ErrUnseal", err)
	}
}

func TestEditedAlgorithm(t *testing.T) {
	st := seeded(t)
	st.rows[0].Algorithm = "HS256"
	if _, err := Load(context.Background(), st, secret, t0); err == nil {
		t.Fatal("Load accepted a row whose Algorithm was edited")
	}
}

func TestConcurrentLoad(t *testing.T) {
	st := newMemStore()
	st.barrier = 2 // both goroutines see an empty store before either writes
	st.arrived = make(chan struct{})
	sets := make([]*Set, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range sets {
		wg.Go(func() { sets[i], errs[i] = Load(context.Background(), st, secret, t0) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st.lost != len(Algorithms) {
		t.Errorf("%d inserts lost, want %d: the race was not exercised", st.lost, len(Algorithms))
	}
	count := map[string]int{}
	for _, r := range st.rows {
		count[r.Algorithm]++
	}
	for _, alg := range Algorithms {
		if count[alg] != 1 {
			t.Errorf("%s: %d keys stored, want 1", alg, count[alg])
		}
		k0, k1 := signingKID(t, sets[0], alg), signingKID(t, sets[1], alg)
		if k0 != k1 {
			t.Errorf("%s: nodes sign with different keys %q and %q", alg, k0, k1)
		}
	}
}

func TestNewestKeySigns(t *testing.T) {
	st := seeded(t)
	s, _ := newSealer(secret)
	newer, err := newKey("ES256", "es256-later", s, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	st.rows = append(st.rows, newer)
	at := t0.Add(24 * time.Hour)
	set, err := Open(context.Background(), st, secret, Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if kid := signingKID(t, set, "ES256"); kid != "es256-later" {
		t.Errorf("signing kid = %q, want the newest", kid)
	}
	if n := len(set.JWKS().Keys); n != 3 {
		t.Errorf("JWKS has %d keys, want 3 (old keys stay published)", n)
	}
}

func TestStoreErrorSurfaces(t *testing.T) {
	st := newMemStore()
	st.addErr = errors.New("disk full")
	// Seed the RSA key so only the fast ES256 generation runs.
	st.rows = seeded(t).rows[:1]
	if _, err := Load(context.Background(), st, secret, t0); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentSigning(t *testing.T) {
	set, err := Load(context.Background(), seeded(t), secret, t0)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := set.JWSSigner("ES256", "at+jwt")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := set.PublicKey(signer.KeyID())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				tok, err := signer.Sign([]byte("x"))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := verifyCompact(tok, pub); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
