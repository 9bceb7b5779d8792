package mint

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewTokensWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		rt, code := NewLegacyRefreshToken(), NewCode()
		if !WellFormed(RefreshPrefix, rt) || !WellFormed(CodePrefix, code) {
			t.Fatalf("not well formed: %q %q", rt, code)
		}
		if WellFormed(CodePrefix, rt) || WellFormed(RefreshPrefix, code) {
			t.Fatalf("prefixes confused: %q %q", rt, code)
		}
		if seen[rt] || seen[code] {
			t.Fatal("repeated value")
		}
		seen[rt], seen[code] = true, true
	}
}

func TestWellFormed(t *testing.T) {
	body := strings.Repeat("a", 42) + "A" // canonical: last char's low 2 bits zero
	tests := []struct {
		name, prefix, v string
		want            bool
	}{
		{"refresh", RefreshPrefix, RefreshPrefix + body, true},
		{"code", CodePrefix, CodePrefix + body, true},
		{"url-safe chars", RefreshPrefix, RefreshPrefix + "-_09azAZ" + strings.Repeat("x", 34) + "w", true},
		{"empty", RefreshPrefix, "", false},
		{"prefix only", RefreshPrefix, RefreshPrefix, false},
		{"no prefix", RefreshPrefix, body, false},
		{"other prefix", RefreshPrefix, CodePrefix + body, false},
		{"short", RefreshPrefix, RefreshPrefix + body[1:], false},
		{"long", RefreshPrefix, RefreshPrefix + body + "A", false},
		{"padding", RefreshPrefix, RefreshPrefix + body[1:] + "=", false},
		{"std alphabet +", RefreshPrefix, RefreshPrefix + "+" + body[1:], false},
		{"std alphabet /", RefreshPrefix, RefreshPrefix + "/" + body[1:], false},
		{"space", RefreshPrefix, RefreshPrefix + " " + body[1:], false},
		{"non-canonical last char", RefreshPrefix, RefreshPrefix + body[:42] + "B", false},
		{"non-ASCII", RefreshPrefix, RefreshPrefix + "é" + body[2:], false},
		{"uppercase prefix", RefreshPrefix, strings.ToUpper(RefreshPrefix) + body, false},
	}
	for _, tt := range tests {
		if got := WellFormed(tt.prefix, tt.v); got != tt.want {
			t.Errorf("%s: WellFormed(%q, %q) = %v, want %v", tt.name, tt.prefix, tt.v, got, tt.want)
		}
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256("abc") from FIPS 180-2 Appendix B.1, in base64url.
	if got, want := HashToken("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"; got != want {
		t.Errorf("HashToken(abc) = %q, want %q", got, want)
	}
	if HashToken(NewLegacyRefreshToken()) == HashToken(NewLegacyRefreshToken()) {
		t.Error("distinct tokens hash alike")
	}
}

func TestRotationKey(t *testing.T) {
	s := []byte("0123456789abcdef0123456789abcdef")
	k1, k2 := RotationKey(s), RotationKey(s)
	if len(k1) != 32 || !bytes.Equal(k1, k2) {
		t.Fatalf("RotationKey: len %d, deterministic %v", len(k1), bytes.Equal(k1, k2))
	}
	if bytes.Equal(k1, RotationKey([]byte("another secret of thirty-two b."))) {
		t.Error("different secrets give one key")
	}
	if bytes.Contains(k1, s[:8]) {
		t.Error("key contains the secret")
	}
}

func TestDeriveSuccessor(t *testing.T) {
	key := RotationKey([]byte("0123456789abcdef0123456789abcdef"))
	presented := NewLegacyRefreshToken()
	base := DeriveSuccessor(key, "grant-1", 3, presented)
	if !WellFormed(RefreshPrefix, base) {
		t.Fatalf("successor %q is not a well-formed refresh token", base)
	}
	if again := DeriveSuccessor(key, "grant-1", 3, presented); again != base {
		t.Fatalf("retry derived %q, first %q", again, base)
	}
	if base == presented {
		t.Fatal("successor equals the presented token")
	}
	otherKey := RotationKey([]byte("ffffffffffffffffffffffffffffffff"))
	variants := map[string]string{
		"generation":     DeriveSuccessor(key, "grant-1", 4, presented),
		"grant":          DeriveSuccessor(key, "grant-2", 3, presented),
		"presented":      DeriveSuccessor(key, "grant-1", 3, NewLegacyRefreshToken()),
		"key":            DeriveSuccessor(otherKey, "grant-1", 3, presented),
		"shifted fields": DeriveSuccessor(key, "grant-13", 3, presented[1:]),
		"negative gen":   DeriveSuccessor(key, "grant-1", -3, presented),
	}
	for name, v := range variants {
		if v == base {
			t.Errorf("changing the %s gave the same successor", name)
		}
	}
	// The separators keep field boundaries: ("g1", 23) and ("g12", 3) differ.
	if DeriveSuccessor(key, "g1", 23, "x") == DeriveSuccessor(key, "g12", 3, "x") {
		t.Error("field boundary ambiguity")
	}
}

// TestDeriveSuccessorVector pins the exact construction, so that nodes of
// different versions agree on a retried rotation. Computed independently:
// HMAC-SHA256(key=0x00..0x1f, "grant-1\x007\x00tgrt_presented").
func TestDeriveSuccessorVector(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	got := DeriveSuccessor(key, "grant-1", 7, "tgrt_presented")
	if want := "tgrt_ZWrcZQIU6CSyM9ZneyolP0TH7SCU6XMQ2aI6noX16dw"; got != want {
		t.Errorf("DeriveSuccessor = %q, want %q", got, want)
	}
}

func BenchmarkDeriveSuccessor(b *testing.B) {
	key := RotationKey([]byte("0123456789abcdef0123456789abcdef"))
	presented := NewLegacyRefreshToken()
	b.ReportAllocs()
	for b.Loop() {
		DeriveSuccessor(key, "Zm9vYmFyYmF6cXV4cXV1eA", 42, presented)
	}
}

func BenchmarkNewRefreshToken(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewLegacyRefreshToken()
	}
}
