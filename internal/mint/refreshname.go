package mint

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A named refresh token (doc.go says why) is
//
//	tgrt_ <grant id> "." <generation> "." <secret> <tag>
//
//	grant id:   1 to 64 base64url characters (NewID makes 22)
//	generation: decimal, 0 to MaxGeneration, no leading zero
//	secret:     43 base64url characters: 256 random bits for generation 0,
//	            deriveSecret of the presented token for a successor
//	tag:        22 base64url characters: the first 16 bytes of
//	            HMAC-SHA256(name key, everything before the tag)
//
// base64url has no ".", so the two dots split a token one way only, and the
// tag covers the prefix, the name and the secret as one string.
const (
	nameInfo      = "tollgate/refresh-name/v1"
	tagBytes      = 16
	tagChars      = 22 // tagBytes in unpadded base64url
	maxGrantIDLen = 64
	maxGenDigits  = 9
	minNamedLen   = len(RefreshPrefix) + 1 + 1 + 1 + 1 + secretChars + tagChars
	maxNamedLen   = len(RefreshPrefix) + maxGrantIDLen + 1 + maxGenDigits + 1 + secretChars + tagChars
)

// MaxGeneration is the highest generation a named token can carry: a
// refresh a second for 31 years.
const MaxGeneration = 999_999_999

// ErrNoKeys: RefreshKeys{} (as the operator's revoke tool holds) mints nothing.
var ErrNoKeys = errors.New("mint: refresh keys not set")

// RefreshKeys are the two keys a refresh token's value depends on, each
// taken from the system secret with HKDF under its own label: the rotation
// key derives a successor's secret (DeriveSuccessor), the name key tags a
// token's name. Neither reveals the other or the secret. The zero value
// mints nothing and verifies nothing.
type RefreshKeys struct {
	rotation []byte
	name     []byte
	// HMAC states under each key, reused across requests (macpool.go).
	rotationMACs, nameMACs *macPool
}

// NewRefreshKeys derives both keys from the system secret.
func NewRefreshKeys(systemSecret []byte) RefreshKeys {
	k := RefreshKeys{rotation: RotationKey(systemSecret), name: deriveKey(systemSecret, nameInfo)}
	k.rotationMACs, k.nameMACs = newMACPool(k.rotation), newMACPool(k.name)
	return k
}

func (k RefreshKeys) set() bool { return k.rotationMACs != nil && k.nameMACs != nil }

// RefreshName is what a named refresh token says about itself.
type RefreshName struct {
	GrantID    string
	Generation int
}

// RefreshFormat tells the shapes a presented refresh token can have.
type RefreshFormat int

const (
	// NotRefreshToken: junk, or a named token whose tag does not verify.
	NotRefreshToken RefreshFormat = iota
	// LegacyRefresh: RefreshPrefix and 43 characters, as builds before
	// named tokens issued; known only by its hash in the store.
	LegacyRefresh
	// NamedRefresh: a named token whose tag verifies: these keys made it.
	NamedRefresh
)

// First returns the first refresh token (generation 0) of grantID, with a
// secret of 256 random bits (RFC 6749 §10.10: infeasible to guess).
func (k RefreshKeys) First(grantID string) (string, error) {
	var secret [32]byte
	rand.Read(secret[:]) // crypto/rand.Read never fails (Go 1.24+).
	var enc [secretChars]byte
	b64.Encode(enc[:], secret[:])
	return k.seal(grantID, 0, enc[:])
}

// Successor returns the token of the given generation of grantID that
// replaces presented. Its secret is DeriveSuccessor's, so a retry
// recomputes the same token and the store, which holds hashes only, cannot.
func (k RefreshKeys) Successor(grantID string, generation int, presented string) (string, error) {
	if !k.set() {
		return "", ErrNoKeys
	}
	var enc [secretChars]byte
	st := k.rotationMACs.get()
	b64.Encode(enc[:], st.mac(derivationInput(st.msg[:0], grantID, generation, presented)))
	k.rotationMACs.put(st)
	return k.seal(grantID, generation, enc[:])
}

// LegacySuccessor is DeriveSuccessor under these keys: the successor an
// earlier build handed out for presented, which a retry must get again.
func (k RefreshKeys) LegacySuccessor(grantID string, generation int, presented string) (string, error) {
	if !k.set() {
		return "", ErrNoKeys
	}
	return DeriveSuccessor(k.rotation, grantID, generation, presented), nil
}

// seal writes the token for a name and an encoded secret, tag included.
func (k RefreshKeys) seal(grantID string, generation int, secret []byte) (string, error) {
	if !k.set() {
		return "", ErrNoKeys
	}
	if !validGrantID(grantID) {
		return "", fmt.Errorf("mint: grant id %q cannot name a refresh token (1 to %d base64url characters)", grantID, maxGrantIDLen)
	}
	if generation < 0 || generation > MaxGeneration {
		return "", fmt.Errorf("mint: generation %d out of range 0..%d", generation, MaxGeneration)
	}
	// The token is built in the pooled state's buffer (maxNamedLen fits),
	// so its one allocation is the string returned.
	st := k.nameMACs.get()
	defer k.nameMACs.put(st)
	buf := append(st.msg[:0], RefreshPrefix...)
	buf = append(buf, grantID...)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(generation), 10)
	buf = append(buf, '.')
	buf = append(buf, secret...)
	var tag [tagChars]byte
	b64.Encode(tag[:], st.mac(buf)[:tagBytes])
	return string(append(buf, tag[:]...)), nil
}

// Open reads a presented refresh token. A legacy one is reported by its
// shape alone (only the store knows it); a named one only if its tag
// verifies, compared in constant time (hmac.Equal), and then with its name.
// Anything else, a forged or edited name included, is NotRefreshToken: it
// need not reach the store.
func (k RefreshKeys) Open(v string) (RefreshFormat, RefreshName) {
	form, name := parseRefresh(v)
	if form != NamedRefresh {
		return form, RefreshName{}
	}
	if !k.set() {
		return NotRefreshToken, RefreshName{}
	}
	// parseRefresh bounded v by maxNamedLen: body and tag fit the pooled
	// buffer, so verifying allocates nothing.
	st := k.nameMACs.get()
	defer k.nameMACs.put(st)
	n := len(v) - tagChars
	body := st.msg[:copy(st.msg[:], v[:n])]
	var want, got [tagChars]byte
	b64.Encode(want[:], st.mac(body)[:tagBytes])
	copy(got[:], v[n:])
	if !hmac.Equal(want[:], got[:]) {
		return NotRefreshToken, RefreshName{}
	}
	return NamedRefresh, name
}

// parseRefresh reads v's shape without a key: legacy, named (with the name
// it claims, unverified) or neither. It allocates nothing: the grant id is
// a substring of v.
func parseRefresh(v string) (RefreshFormat, RefreshName) {
	if WellFormed(RefreshPrefix, v) {
		return LegacyRefresh, RefreshName{}
	}
	if len(v) < minNamedLen || len(v) > maxNamedLen || !strings.HasPrefix(v, RefreshPrefix) {
		return NotRefreshToken, RefreshName{}
	}
	rest := v[len(RefreshPrefix):]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 || !validGrantID(rest[:dot]) {
		return NotRefreshToken, RefreshName{}
	}
	id := rest[:dot]
	rest = rest[dot+1:]
	dot = strings.IndexByte(rest, '.')
	if dot < 0 {
		return NotRefreshToken, RefreshName{}
	}
	gen, ok := parseGeneration(rest[:dot])
	if !ok || !isB64URLString(rest[dot+1:]) || len(rest[dot+1:]) != secretChars+tagChars {
		return NotRefreshToken, RefreshName{}
	}
	return NamedRefresh, RefreshName{GrantID: id, Generation: gen}
}

// validGrantID: 1 to maxGrantIDLen base64url characters, so no "." can
// make one token read two ways.
func validGrantID(id string) bool {
	return len(id) >= 1 && len(id) <= maxGrantIDLen && isB64URLString(id)
}

// parseGeneration reads 1 to maxGenDigits decimal digits, without a
// leading zero (one generation, one spelling).
func parseGeneration(s string) (int, bool) {
	if len(s) == 0 || len(s) > maxGenDigits || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isB64URLString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isB64URL(s[i]) {
			return false
		}
	}
	return true
}

// ClaimedGrantID returns the grant id a named token's value claims, without
// verifying its tag, and "" for any other value. It is for tests that hold
// a token this server gave them and read its row from the store
// (store.Store.RefreshToken takes the grant): a token presented to the
// server is read with RefreshKeys.Open, which checks the tag.
func ClaimedGrantID(v string) string {
	_, name := parseRefresh(v)
	return name.GrantID
}
