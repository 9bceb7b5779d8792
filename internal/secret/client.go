package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

const (
	// MinSecretLength is the shortest client secret accepted. 32 characters
	// of a generated secret carry far more entropy than any guess can cover,
	// which is what makes the fast hash below safe.
	MinSecretLength = 32

	// SecretHashPrefix starts every client-secret hash, naming the algorithm
	// so a stronger one can be added later without ambiguity.
	SecretHashPrefix = "sha256:"

	// encodedSumLen is the length of a SHA-256 sum in unpadded base64url.
	encodedSumLen = 43
)

// Generate returns a fresh client secret: 32 bytes from crypto/rand in
// unpadded base64url (43 characters), safe in a URL, a form body and the
// Basic header without escaping.
func Generate() string {
	var b [32]byte
	// crypto/rand.Read never returns an error (Go 1.24+); it crashes the
	// program instead of handing out a weak secret.
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashClientSecret returns "sha256:" + base64url(SHA-256(s)), the form in
// which a client secret is stored and written to the configuration file.
func HashClientSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return SecretHashPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// CheckSecretHash reports whether h has the shape HashClientSecret produces.
func CheckSecretHash(h string) error {
	rest, ok := strings.CutPrefix(h, SecretHashPrefix)
	if !ok {
		return fmt.Errorf("must start with %q", SecretHashPrefix)
	}
	if len(rest) != encodedSumLen {
		return fmt.Errorf("must be %q followed by %d base64url characters (the SHA-256 of the secret), got %d", SecretHashPrefix, encodedSumLen, len(rest))
	}
	if _, err := base64.RawURLEncoding.DecodeString(rest); err != nil {
		return fmt.Errorf("the part after %q is not unpadded base64url", SecretHashPrefix)
	}
	return nil
}

// VerifyClientSecret reports whether presented hashes to hash. It runs in
// time independent of how many characters match and does not allocate: it
// sits on the token endpoint's hot path.
func VerifyClientSecret(hash, presented string) bool {
	if len(hash) != len(SecretHashPrefix)+encodedSumLen || hash[:len(SecretHashPrefix)] != SecretHashPrefix {
		return false
	}
	var sum [sha256.Size]byte
	var buf [128]byte
	if len(presented) <= len(buf) {
		// []byte(presented) would allocate for anything over 32 bytes.
		sum = sha256.Sum256(buf[:copy(buf[:], presented)])
	} else {
		sum = sha256.Sum256([]byte(presented))
	}
	var enc [encodedSumLen]byte
	base64.RawURLEncoding.Encode(enc[:], sum[:])
	// Copy into an array instead of converting to []byte: the conversion
	// would allocate on every token request.
	var want [encodedSumLen]byte
	copy(want[:], hash[len(SecretHashPrefix):])
	return subtle.ConstantTimeCompare(enc[:], want[:]) == 1
}
