package secret

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters for new hashes: the first OWASP Password Storage Cheat
// Sheet setting (m=19 MiB, t=2, p=1), which costs a few tens of milliseconds
// per login — acceptable at sign-in, never on the token endpoint.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds on the parameters of a stored hash. The configuration file is
// trusted, but a typo such as m=1945600000 should fail at start-up instead of
// exhausting memory at the first login.
const (
	maxArgonMemoryKiB = 4 * 1024 * 1024 // 4 GiB
	maxArgonTime      = 64
	minArgonSaltLen   = 8
	minArgonKeyLen    = 16
	maxArgonKeyLen    = 128
)

// ErrMalformedHash is wrapped by every error about the shape of a stored
// password hash.
var ErrMalformedHash = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding // PHC strings use unpadded standard base64

// HashPassword returns an argon2id hash of pw in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches hash, an argon2id PHC string or a
// bcrypt hash ($2a$, $2b$, $2y$). A hash it cannot read is an error, never a
// silent false, so a broken configuration is noticed.
func VerifyPassword(hash, pw string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		p, err := parseArgon2id(hash)
		if err != nil {
			return false, err
		}
		key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
		return subtle.ConstantTimeCompare(key, p.key) == 1, nil
	case isBcrypt(hash):
		// bcrypt compares in constant time itself.
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%w: %v", ErrMalformedHash, err)
		}
		return true, nil
	default:
		return false, fmt.Errorf("%w: expected an argon2id PHC string ($argon2id$...) or a bcrypt hash ($2a$, $2b$, $2y$)", ErrMalformedHash)
	}
}

// CheckPasswordHash reports whether hash is a password hash VerifyPassword
// can read, without the cost of computing one.
func CheckPasswordHash(hash string) error {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		_, err := parseArgon2id(hash)
		return err
	case isBcrypt(hash):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedHash, err)
		}
		return nil
	default:
		return fmt.Errorf("%w: expected an argon2id PHC string ($argon2id$...) or a bcrypt hash ($2a$, $2b$, $2y$)", ErrMalformedHash)
	}
}

func isBcrypt(hash string) bool {
	return strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$")
}

type argon2Params struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2id reads $argon2id$v=19$m=M,t=T,p=P$salt$hash.
func parseArgon2id(hash string) (argon2Params, error) {
	var p argon2Params
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, fmt.Errorf("%w: argon2id hash must look like $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, fmt.Errorf("%w: argon2id version %q is not supported (want v=%d)", ErrMalformedHash, parts[2], argon2.Version)
	}
	var m, t, threads uint64
	seen := 0
	for kv := range strings.SplitSeq(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return p, fmt.Errorf("%w: argon2id parameter %q is not name=number", ErrMalformedHash, kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			threads = n
		default:
			return p, fmt.Errorf("%w: unknown argon2id parameter %q", ErrMalformedHash, k)
		}
		seen++
	}
	switch {
	case seen != 3 || m == 0 || t == 0 || threads == 0:
		return p, fmt.Errorf("%w: argon2id needs m, t and p, each once and non-zero", ErrMalformedHash)
	case threads > 255, m > maxArgonMemoryKiB, t > maxArgonTime, m < 8*threads:
		return p, fmt.Errorf("%w: argon2id parameters m=%d,t=%d,p=%d are out of range", ErrMalformedHash, m, t, threads)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < minArgonSaltLen {
		return p, fmt.Errorf("%w: argon2id salt must be unpadded base64 of at least %d bytes", ErrMalformedHash, minArgonSaltLen)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return p, fmt.Errorf("%w: argon2id hash must be unpadded base64 of %d to %d bytes", ErrMalformedHash, minArgonKeyLen, maxArgonKeyLen)
	}
	return argon2Params{memory: uint32(m), time: uint32(t), threads: uint8(threads), salt: salt, key: key}, nil
}
