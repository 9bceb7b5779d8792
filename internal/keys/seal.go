package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// HKDF "info" labels (RFC 5869 §3.2): one per purpose, so that the keys
// derived from the one system secret are independent of each other.
const (
	sealInfo = "tollgate/signing-key-seal/v1"
	kidInfo  = "tollgate/signing-key-id/v1"
)

// MinSecretLen is the shortest system secret Load accepts: 256 bits, the
// size of the AES key derived from it.
const MinSecretLen = 32

// ErrUnseal reports that a sealed key failed authentication: the system
// secret differs from the one that sealed it, or the stored bytes (or the
// key id they are bound to) were altered.
var ErrUnseal = errors.New("signing keys cannot be opened with this system secret; was it changed?")

// sealer encrypts private JWKs for the store.
type sealer struct{ aead cipher.AEAD }

func newSealer(systemSecret []byte) (sealer, error) {
	k, err := hkdf.Key(sha256.New, systemSecret, nil, sealInfo, 32)
	if err != nil {
		return sealer{}, fmt.Errorf("keys: deriving the seal key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return sealer{}, fmt.Errorf("keys: %w", err)
	}
	// NewGCMWithRandomNonce draws a fresh 96-bit nonce per Seal and prepends
	// it to the ciphertext. A random nonce is safe far beyond the handful of
	// keys a deployment ever seals (the limit is 2^32 messages per key).
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return sealer{}, fmt.Errorf("keys: %w", err)
	}
	return sealer{aead: aead}, nil
}

// seal encrypts plaintext with kid as additional authenticated data, so the
// result opens only under the same kid.
func (s sealer) seal(kid string, plaintext []byte) []byte {
	return s.aead.Seal(nil, nil, plaintext, []byte(kid))
}

// open reverses seal; any mismatch (secret, kid, bytes) returns ErrUnseal.
func (s sealer) open(kid string, sealed []byte) ([]byte, error) {
	if len(sealed) < s.aead.Overhead() {
		return nil, fmt.Errorf("keys: signing key %q: %w", kid, ErrUnseal)
	}
	p, err := s.aead.Open(nil, nil, sealed, []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("keys: signing key %q: %w", kid, ErrUnseal)
	}
	return p, nil
}
