package mint

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
)

const (
	// RefreshPrefix starts every refresh token.
	RefreshPrefix = "tgrt_"
	// CodePrefix starts every authorization code.
	CodePrefix = "tgac_"
)

// secretChars is the length of 32 bytes in unpadded base64url.
const secretChars = 43

// rotationInfo is the HKDF info label (RFC 5869 §3.2) of the rotation key.
const rotationInfo = "tollgate/refresh-rotation/v1"

var b64 = base64.RawURLEncoding

// NewLegacyRefreshToken returns a refresh token in the shape builds before
// named tokens issued: RefreshPrefix and 256 random bits (RFC 6749 §10.10).
// Nothing issues it any more (RefreshKeys.First does); tests use it to
// stand for a token an earlier build handed out, which still works.
func NewLegacyRefreshToken() string { return newOpaque(RefreshPrefix) }

// NewCode returns a new authorization code (RFC 6749 §4.1.2), shaped like a
// refresh token but with CodePrefix.
func NewCode() string { return newOpaque(CodePrefix) }

func newOpaque(prefix string) string {
	var b [32]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return prefix + b64.EncodeToString(b[:])
}

// HashToken is what the store keeps instead of a token value:
// base64url(SHA-256(v)). The values hashed carry 256 random bits, so a
// fast hash is enough to make a stolen database useless.
//
// It runs two or three times per refresh grant, so it hashes through stack
// buffers: its one allocation is the string returned.
func HashToken(v string) string {
	var in [maxNamedLen]byte
	var sum [sha256.Size]byte
	if len(v) <= len(in) {
		sum = sha256.Sum256(in[:copy(in[:], v)])
	} else {
		sum = sha256.Sum256([]byte(v))
	}
	var out [secretChars]byte
	b64.Encode(out[:], sum[:])
	return string(out[:])
}

// WellFormed reports whether v is prefix followed by 43 base64url
// characters that decode canonically to 32 bytes. It lets an endpoint reject
// junk before touching the store; it says nothing about whether the token
// exists.
func WellFormed(prefix, v string) bool {
	if len(v) != len(prefix)+secretChars || !strings.HasPrefix(v, prefix) {
		return false
	}
	s := v[len(prefix):]
	for i := 0; i < len(s); i++ {
		if !isB64URL(s[i]) {
			return false
		}
	}
	// 43 characters hold 258 bits; the last character's low two bits are
	// padding and must be zero, or two spellings would name one value.
	return strings.IndexByte("AEIMQUYcgkosw048", s[len(s)-1]) >= 0
}

func isB64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// RotationKey derives the HMAC key of DeriveSuccessor from the system
// secret with HKDF-SHA256 (RFC 5869), so that it is independent of every
// other key taken from the same secret.
func RotationKey(systemSecret []byte) []byte { return deriveKey(systemSecret, rotationInfo) }

// deriveKey takes a 32-byte key for one purpose (info, RFC 5869 §3.2) from
// the system secret.
func deriveKey(systemSecret []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, systemSecret, nil, info, 32)
	if err != nil {
		// Unreachable for SHA-256 and 32 bytes, except in FIPS 140-only
		// mode with a secret under 112 bits, which config refuses.
		panic("mint: deriving the " + info + " key: " + err.Error())
	}
	return k
}

// DeriveSuccessor returns the refresh token that replaces presented when the
// token of the given generation in grantID is rotated:
//
//	RefreshPrefix + base64url(HMAC-SHA256(key, grantID 0x00 generation 0x00 presented))
//
// with generation in decimal. It is deterministic, so a retried refresh
// (the client never saw the first response) is answered with the very token
// the first attempt issued, and concurrent retries agree on it. Only the
// client holds presented, and the store holds only hashes, so a copy of the
// database cannot compute any successor. grantID must not contain 0x00.
//
// Tokens of this build are named (RefreshKeys.Successor): their secret part
// is these 43 characters. DeriveSuccessor itself stays for a retry of a
// rotation an earlier build made, whose successor has this legacy shape.
func DeriveSuccessor(key []byte, grantID string, generation int, presented string) string {
	var out [len(RefreshPrefix) + secretChars]byte
	copy(out[:], RefreshPrefix)
	deriveSecret(out[len(RefreshPrefix):], key, grantID, generation, presented)
	return string(out[:])
}

// deriveSecret writes base64url(HMAC-SHA256(key, grantID 0x00 generation
// 0x00 presented)), secretChars characters, to dst. RefreshKeys.Successor
// computes the same through a pooled HMAC state.
func deriveSecret(dst, key []byte, grantID string, generation int, presented string) {
	mac := hmac.New(sha256.New, key)
	mac.Write(derivationInput(nil, grantID, generation, presented))
	b64.Encode(dst[:secretChars], mac.Sum(nil))
}

// derivationInput appends the message deriveSecret keys to buf:
// grantID 0x00 generation (decimal) 0x00 presented.
func derivationInput(buf []byte, grantID string, generation int, presented string) []byte {
	buf = append(buf, grantID...)
	buf = append(buf, 0)
	buf = strconv.AppendInt(buf, int64(generation), 10)
	buf = append(buf, 0)
	return append(buf, presented...)
}
