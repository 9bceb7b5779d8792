package mint

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"testing"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func testRefreshKeys() RefreshKeys { return NewRefreshKeys(testSecret) }

// specTag recomputes a named token's tag from the format's definition,
// with crypto/hkdf and crypto/hmac directly, not through the code under test.
func specTag(t testing.TB, systemSecret []byte, body string) string {
	t.Helper()
	key, err := hkdf.Key(sha256.New, systemSecret, nil, "tollgate/refresh-name/v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	return b64.EncodeToString(mac.Sum(nil)[:16])
}

// TestNamedRefreshVector pins the exact construction, so that nodes of
// different versions agree on a token and its retry. Computed
// independently (Python's hmac and hashlib, HKDF by RFC 5869 §2) for the
// system secret "0123456789abcdef0123456789abcdef", grant "grant-1",
// generation 7, presented "tgrt_presented".
func TestNamedRefreshVector(t *testing.T) {
	got, err := testRefreshKeys().Successor("grant-1", 7, "tgrt_presented")
	if err != nil {
		t.Fatal(err)
	}
	if want := "tgrt_grant-1.7.kUerOKmDR8LKU6q_hc7ZUmGam6s-UPLaaQQ-WEMaPEAS46K8pHgCs1EVbHfZoTp6g"; got != want {
		t.Errorf("Successor = %q, want %q", got, want)
	}
}

func TestNamedRefreshTokens(t *testing.T) {
	k := testRefreshKeys()
	id := NewID()
	seen := map[string]bool{}
	for range 100 {
		tok, err := k.First(id)
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok] {
			t.Fatal("First repeated a token")
		}
		seen[tok] = true
		if form, name := k.Open(tok); form != NamedRefresh || name != (RefreshName{id, 0}) {
			t.Fatalf("Open(First) = %v %+v, want named %s/0", form, name, id)
		}
		if !strings.HasPrefix(tok, RefreshPrefix+id+".0.") || len(tok) != 5+22+3+65 {
			t.Fatalf("first token %q: want tgrt_%s.0. and 95 characters", tok, id)
		}
		if tag := tok[len(tok)-tagChars:]; tag != specTag(t, testSecret, tok[:len(tok)-tagChars]) {
			t.Fatalf("first token %q: tag is not HMAC-SHA256 under the name key", tok)
		}
	}

	presented, _ := k.First(id)
	succ, err := k.Successor(id, 1, presented)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := k.Successor(id, 1, presented); again != succ {
		t.Fatalf("a retry derived %q, the first %q", again, succ)
	}
	// The secret part is DeriveSuccessor's, the derivation of earlier builds.
	want := RefreshPrefix + id + ".1." + DeriveSuccessor(k.rotation, id, 1, presented)[len(RefreshPrefix):]
	if succ[:len(succ)-tagChars] != want {
		t.Fatalf("successor %q does not carry DeriveSuccessor's secret (%q)", succ, want)
	}
	if form, name := k.Open(succ); form != NamedRefresh || name != (RefreshName{id, 1}) {
		t.Fatalf("Open(successor) = %v %+v", form, name)
	}
	other := NewRefreshKeys([]byte("ffffffffffffffffffffffffffffffff"))
	if form, _ := other.Open(succ); form != NotRefreshToken {
		t.Error("another system secret verified the token")
	}
	for name, v := range map[string]func() (string, error){
		"generation": func() (string, error) { return k.Successor(id, 2, presented) },
		"grant":      func() (string, error) { return k.Successor(NewID(), 1, presented) },
		"presented":  func() (string, error) { return k.Successor(id, 1, presented+"x") },
		"keys":       func() (string, error) { return other.Successor(id, 1, presented) },
	} {
		if s, err := v(); err != nil || s == succ {
			t.Errorf("changing the %s: %q, %v; want another token", name, s, err)
		}
	}
	legacy, err := k.LegacySuccessor(id, 1, presented)
	if err != nil || legacy != DeriveSuccessor(k.rotation, id, 1, presented) {
		t.Errorf("LegacySuccessor = %q, %v; want DeriveSuccessor's", legacy, err)
	}
}

// The rotation and name keys come from one secret under two labels and
// must differ, from each other and from the secret.
func TestRefreshKeysIndependent(t *testing.T) {
	k := testRefreshKeys()
	if hmac.Equal(k.rotation, k.name) || len(k.name) != 32 {
		t.Fatal("name key equals the rotation key")
	}
	want, _ := hkdf.Key(sha256.New, testSecret, nil, "tollgate/refresh-name/v1", 32)
	if !hmac.Equal(k.name, want) {
		t.Error("name key is not HKDF(secret, tollgate/refresh-name/v1)")
	}
}

func TestNamedRefreshRefusesBadNames(t *testing.T) {
	k := testRefreshKeys()
	for _, id := range []string{"", "a.b", "a b", "a+b", "a/b", "é", strings.Repeat("a", 65), "a\x00"} {
		if tok, err := k.First(id); err == nil {
			t.Errorf("First(%q) = %q, want an error", id, tok)
		}
	}
	for _, gen := range []int{-1, MaxGeneration + 1} {
		if tok, err := k.Successor("g", gen, "x"); err == nil {
			t.Errorf("Successor(generation %d) = %q, want an error", gen, tok)
		}
	}
	if _, err := k.Successor(strings.Repeat("a", 64), MaxGeneration, "x"); err != nil {
		t.Errorf("longest id and generation: %v", err)
	}
	var zero RefreshKeys
	for _, f := range []func() (string, error){
		func() (string, error) { return zero.First("g") },
		func() (string, error) { return zero.Successor("g", 1, "x") },
		func() (string, error) { return zero.LegacySuccessor("g", 1, "x") },
	} {
		if _, err := f(); !errors.Is(err, ErrNoKeys) {
			t.Errorf("zero keys: err = %v, want ErrNoKeys", err)
		}
	}
}

func TestOpenRefreshToken(t *testing.T) {
	k := testRefreshKeys()
	tok, err := k.Successor("grant-1", 41, "tgrt_presented")
	if err != nil {
		t.Fatal(err)
	}
	body, tag := tok[:len(tok)-tagChars], tok[len(tok)-tagChars:]
	secret := body[len(body)-secretChars:]
	resealed := func(prefix string) string { // a correct tag over an edited body
		b := prefix + secret
		return b + specTag(t, testSecret, b)
	}
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	legacy := NewLegacyRefreshToken()
	tests := []struct {
		name string
		v    string
		want RefreshFormat
	}{
		{"named", tok, NamedRefresh},
		{"legacy", legacy, LegacyRefresh},
		{"legacy non-canonical", legacy[:len(legacy)-1] + "B", NotRefreshToken},
		{"edited generation", strings.Replace(tok, ".41.", ".40.", 1), NotRefreshToken},
		{"edited grant", strings.Replace(tok, "grant-1", "grant-2", 1), NotRefreshToken},
		{"edited secret", flip(tok, len(body)-1), NotRefreshToken},
		{"edited tag", flip(tok, len(tok)-1), NotRefreshToken},
		{"tag of another key", body + specTag(t, []byte("ffffffffffffffffffffffffffffffff"), body), NotRefreshToken},
		{"short tag", tok[:len(tok)-1], NotRefreshToken},
		{"long tag", tok + "A", NotRefreshToken},
		{"no tag", body, NotRefreshToken},
		{"tag only", RefreshPrefix + "grant-1.41." + tag, NotRefreshToken},
		{"code prefix", CodePrefix + tok[len(RefreshPrefix):], NotRefreshToken},
		{"upper prefix", "TGRT_" + tok[len(RefreshPrefix):], NotRefreshToken},
		{"leading zero", resealed("tgrt_grant-1.041."), NotRefreshToken},
		{"ten digits", resealed("tgrt_grant-1.1000000000."), NotRefreshToken},
		{"negative", resealed("tgrt_grant-1.-1."), NotRefreshToken},
		{"plus sign", resealed("tgrt_grant-1.+1."), NotRefreshToken},
		{"empty generation", resealed("tgrt_grant-1.."), NotRefreshToken},
		{"empty grant", resealed("tgrt_.41."), NotRefreshToken},
		{"dot in grant", resealed("tgrt_grant.1.41."), NotRefreshToken},
		{"long grant", resealed("tgrt_" + strings.Repeat("g", 65) + ".41."), NotRefreshToken},
		{"non-ASCII grant", resealed("tgrt_gränt.41."), NotRefreshToken},
		{"padding in secret", RefreshPrefix + "grant-1.41." + secret[:42] + "=" + tag, NotRefreshToken},
		{"empty", "", NotRefreshToken},
		{"prefix only", RefreshPrefix, NotRefreshToken},
		{"dots only", RefreshPrefix + strings.Repeat(".", 80), NotRefreshToken},
	}
	for _, tt := range tests {
		if got, _ := k.Open(tt.v); got != tt.want {
			t.Errorf("%s: Open(%q) = %v, want %v", tt.name, tt.v, got, tt.want)
		}
	}
	// The longest name that parses does so, with its tag.
	long, err := k.Successor(strings.Repeat("g", 64), MaxGeneration, "x")
	if err != nil || len(long) != maxNamedLen {
		t.Fatalf("longest token: %d characters, %v; want %d", len(long), err, maxNamedLen)
	}
	if form, name := k.Open(long); form != NamedRefresh || name.Generation != MaxGeneration {
		t.Errorf("Open(longest) = %v %+v", form, name)
	}
	if form, _ := (RefreshKeys{}).Open(tok); form != NotRefreshToken {
		t.Error("zero keys verified a token")
	}
}

// Junk is refused by its shape, before any hashing and without allocating;
// a token of the right shape costs one HMAC.
func TestOpenAllocations(t *testing.T) {
	k := testRefreshKeys()
	tok, _ := k.Successor(NewID(), 12, "tgrt_presented")
	junk := []string{"", "x", strings.Repeat("tgrt_", 30), RefreshPrefix + strings.Repeat("A", 200),
		tok[:len(tok)-1] + "!", strings.Replace(tok, ".12.", ".012.", 1)}
	for _, v := range junk {
		if n := testing.AllocsPerRun(100, func() { k.Open(v) }); n != 0 {
			t.Errorf("Open(%.20q...): %v allocations, want 0", v, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { parseRefresh(tok) }); n != 0 {
		t.Errorf("parseRefresh(named): %v allocations, want 0", n)
	}
	forged := tok[:len(tok)-1] + "A"
	if n := testing.AllocsPerRun(100, func() { k.Open(forged) }); n > 8 {
		t.Errorf("Open(forged tag): %v allocations, want at most 8 (one HMAC)", n)
	}
}

// spelled returns how v spells a name: the text between the prefix and
// the second dot, which must be exactly the name read.
func spelled(name RefreshName) string {
	return RefreshPrefix + name.GrantID + "." + strconv.Itoa(name.Generation) + "."
}

func BenchmarkOpenNamed(b *testing.B) {
	k := testRefreshKeys()
	tok, _ := k.Successor(NewID(), 42, "tgrt_presented")
	b.ReportAllocs()
	for b.Loop() {
		k.Open(tok)
	}
}
