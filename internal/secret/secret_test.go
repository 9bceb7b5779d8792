package secret

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := Generate()
		if len(s) != 43 {
			t.Fatalf("Generate() = %q, want 43 characters", s)
		}
		if strings.ContainsAny(s, "+/=") {
			t.Fatalf("Generate() = %q is not unpadded base64url", s)
		}
		if seen[s] {
			t.Fatalf("Generate() repeated %q", s)
		}
		seen[s] = true
	}
}

func TestClientSecretHash(t *testing.T) {
	s := Generate()
	h := HashClientSecret(s)
	if !strings.HasPrefix(h, "sha256:") || len(h) != len("sha256:")+43 {
		t.Fatalf("HashClientSecret = %q", h)
	}
	if err := CheckSecretHash(h); err != nil {
		t.Fatalf("CheckSecretHash(%q) = %v", h, err)
	}
	// Known answer: SHA-256("abc") in base64url.
	if got, want := HashClientSecret("abc"), "sha256:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"; got != want {
		t.Fatalf("HashClientSecret(abc) = %q, want %q", got, want)
	}
	if !VerifyClientSecret(h, s) {
		t.Fatal("VerifyClientSecret rejected the right secret")
	}
	for _, wrong := range []string{"", s[:42], s + "x", strings.ToUpper(s), h} {
		if VerifyClientSecret(h, wrong) {
			t.Errorf("VerifyClientSecret accepted %q", wrong)
		}
	}
	for _, bad := range []string{"", "sha256:", h[:len(h)-1], "sha512:" + h[7:], "SHA256:" + h[7:]} {
		if VerifyClientSecret(bad, s) {
			t.Errorf("VerifyClientSecret accepted malformed hash %q", bad)
		}
	}
}

func TestCheckSecretHash(t *testing.T) {
	for _, bad := range []string{"", "sha256:abc", "md5:" + strings.Repeat("a", 43), "sha256:" + strings.Repeat("*", 43), "sha256:" + strings.Repeat("a", 44)} {
		if err := CheckSecretHash(bad); err == nil {
			t.Errorf("CheckSecretHash(%q) = nil", bad)
		}
	}
}

func TestVerifyClientSecretDoesNotAllocate(t *testing.T) {
	s := Generate()
	h := HashClientSecret(s)
	if n := testing.AllocsPerRun(100, func() { VerifyClientSecret(h, s) }); n != 0 {
		t.Fatalf("VerifyClientSecret allocates %v times per call", n)
	}
}

func TestPasswordArgon2id(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("HashPassword = %q", h)
	}
	if err := CheckPasswordHash(h); err != nil {
		t.Fatalf("CheckPasswordHash(own hash) = %v", err)
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	ok, err := VerifyPassword(h, "correct horse")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(right) = %v, %v", ok, err)
	}
	ok, err = VerifyPassword(h, "correct horsE")
	if err != nil || ok {
		t.Fatalf("VerifyPassword(wrong) = %v, %v", ok, err)
	}
}

func TestPasswordKnownArgon2idVector(t *testing.T) {
	// The argon2id vector of golang.org/x/crypto/argon2's own tests
	// (password "password", salt "somesalt", t=2, m=64, p=1, 24 bytes),
	// written as a PHC string: checks our parsing feeds IDKey correctly.
	key, _ := hex.DecodeString("068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7")
	h := "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$" + base64.RawStdEncoding.EncodeToString(key)
	ok, err := VerifyPassword(h, "password")
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(reference vector) = %v, %v", ok, err)
	}
}

func TestPasswordBcrypt(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := string(b) // $2a$
	for _, variant := range []string{h, "$2b$" + h[4:], "$2y$" + h[4:]} {
		if err := CheckPasswordHash(variant); err != nil {
			t.Fatalf("CheckPasswordHash(%q) = %v", variant, err)
		}
		if ok, err := VerifyPassword(variant, "hunter2"); err != nil || !ok {
			t.Fatalf("VerifyPassword(%q, right) = %v, %v", variant[:4], ok, err)
		}
		if ok, err := VerifyPassword(variant, "hunter3"); err != nil || ok {
			t.Fatalf("VerifyPassword(%q, wrong) = %v, %v", variant[:4], ok, err)
		}
	}
}

func TestPasswordMalformed(t *testing.T) {
	good, _ := HashPassword("x")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for _, bad := range []string{
		"",
		"plaintext",
		"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1,x=3$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,m=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=abc,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$",
		"$argon2id$v=19$m=19456,t=2,p=1$!!!$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt,
		"$2a$10$short",
		"$2a$99$abcdefghijklmnopqrstuuJ6Xd8m9QyA2Hq6Xo9I8bVxV6t1oQ3C",
	} {
		if err := CheckPasswordHash(bad); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("CheckPasswordHash(%q) = %v, want ErrMalformedHash", bad, err)
		}
		if ok, err := VerifyPassword(bad, "x"); err == nil || ok {
			t.Errorf("VerifyPassword(%q) = %v, %v, want an error", bad, ok, err)
		}
	}
}

func BenchmarkVerifyClientSecret(b *testing.B) {
	s := Generate()
	h := HashClientSecret(s)
	b.ReportAllocs()
	for b.Loop() {
		VerifyClientSecret(h, s)
	}
}
