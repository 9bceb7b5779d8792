package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// EnvToken names the environment variable that holds the admin token; it
// takes precedence over admin.token_file.
const EnvToken = "TOLLGATE_ADMIN_TOKEN"

// MinTokenLength is the shortest admin token accepted: 32 characters, as
// the system secret, so a token is never guessable by trying.
const MinTokenLength = 32

// Authorizer decides whether a request may use the admin listener. The
// bearer token is one; a client with the tollgate:admin scope (client
// credentials, RFC 6749 §4.4, its access token verified as RFC 9068 says)
// is the next, and goes in Options.Authorizers beside it.
type Authorizer interface {
	// Authorize returns who the caller is, and false when the request does
	// not carry this authorizer's credential.
	Authorize(r *http.Request) (Caller, bool)
}

// Token authorizes a request whose Authorization header is "Bearer
// <token>" (RFC 6750 §2.1). The comparison is of SHA-256 digests in
// constant time, so neither the token's bytes nor its length leak through
// timing.
type Token struct{ sum [sha256.Size]byte }

// NewToken returns the Authorizer for token.
func NewToken(token string) *Token { return &Token{sum: sha256.Sum256([]byte(token))} }

// Authorize implements Authorizer.
func (t *Token) Authorize(r *http.Request) (Caller, bool) {
	if !t.matches(r) {
		return Caller{}, false
	}
	return Caller{Kind: CallerToken, ID: "admin-token"}, true
}

func (t *Token) matches(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	// RFC 6750 §2.1: the scheme is case-insensitive, one space follows it.
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return false
	}
	got := sha256.Sum256([]byte(h[len(scheme):]))
	return subtle.ConstantTimeCompare(got[:], t.sum[:]) == 1
}

// ErrNoToken says that neither TOLLGATE_ADMIN_TOKEN nor a token file is set.
var ErrNoToken = errors.New("no admin token: set " + EnvToken + " or admin.token_file")

// LoadToken returns the admin token: TOLLGATE_ADMIN_TOKEN if set, else the
// trimmed content of file (relative paths are the caller's to resolve),
// else ErrNoToken. A token shorter than MinTokenLength is an error.
func LoadToken(file string) (string, error) {
	tok, from := os.Getenv(EnvToken), EnvToken
	if tok == "" {
		if file == "" {
			return "", ErrNoToken
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("admin.token_file: %w", err)
		}
		tok, from = strings.TrimSpace(string(b)), "admin.token_file "+file
	}
	if len(tok) < MinTokenLength {
		return "", fmt.Errorf("%s: the admin token must be at least %d characters", from, MinTokenLength)
	}
	return tok, nil
}
