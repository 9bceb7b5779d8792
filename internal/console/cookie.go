package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// CookieName is the console's session cookie.
const CookieName = "tollgate_console"

// The console session's lifetimes: it ends after IdleTimeout without a
// request, and MaxLifetime after the sign-in whatever happens.
const (
	IdleTimeout = 30 * time.Minute
	MaxLifetime = 8 * time.Hour
)

// Session is a signed-in administrator: the declared name, when the
// session ends for want of use, and when it ends at the latest.
type Session struct {
	Name     string
	IdleEnd  time.Time
	Deadline time.Time
}

// Actor is the session's audit actor id: "console:" + name.
func (s Session) Actor() string { return "console:" + s.Name }

// Sealer seals sessions into cookie values and opens them, with an HMAC
// key of at least 32 bytes (derived from the system secret, so every node
// opens every other's cookie).
type Sealer struct{ Key []byte }

var errBadCookie = errors.New("console: not a valid session cookie")

// Seal is the cookie value of s: "v1.<name>.<idle>.<deadline>.<mac>",
// the name base64url, the times unix seconds, the MAC HMAC-SHA256 of
// what precedes it.
func (k Sealer) Seal(s Session) string {
	body := "v1." + base64.RawURLEncoding.EncodeToString([]byte(s.Name)) + "." +
		strconv.FormatInt(s.IdleEnd.Unix(), 10) + "." + strconv.FormatInt(s.Deadline.Unix(), 10)
	return body + "." + base64.RawURLEncoding.EncodeToString(k.mac(body))
}

// Open returns the session a cookie value holds, if its MAC is valid
// (compared in constant time), its name is a valid name, and now is
// before both its ends.
func (k Sealer) Open(v string, now time.Time) (Session, error) {
	if len(k.Key) < 32 || len(v) > 512 {
		return Session{}, errBadCookie
	}
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return Session{}, errBadCookie
	}
	body, sig := v[:i], v[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac(body)) {
		return Session{}, errBadCookie
	}
	parts := strings.Split(body, ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return Session{}, errBadCookie
	}
	name, err := base64.RawURLEncoding.DecodeString(parts[1])
	idle, err1 := strconv.ParseInt(parts[2], 10, 64)
	dead, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || err1 != nil || err2 != nil || !ValidName(string(name)) {
		return Session{}, errBadCookie
	}
	s := Session{Name: string(name), IdleEnd: time.Unix(idle, 0), Deadline: time.Unix(dead, 0)}
	if !now.Before(s.IdleEnd) || !now.Before(s.Deadline) {
		return Session{}, errors.New("console: the session has ended")
	}
	return s, nil
}

func (k Sealer) mac(body string) []byte {
	m := hmac.New(sha256.New, k.Key)
	m.Write([]byte("tollgate console session\x00"))
	m.Write([]byte(body))
	return m.Sum(nil)
}

// NewSession starts a session for name at now.
func NewSession(name string, now time.Time) Session {
	return Session{Name: name, IdleEnd: now.Add(IdleTimeout), Deadline: now.Add(MaxLifetime)}
}

// Touched is s with its idle end moved to now + IdleTimeout, never past
// its deadline.
func (s Session) Touched(now time.Time) Session {
	s.IdleEnd = now.Add(IdleTimeout)
	if s.IdleEnd.After(s.Deadline) {
		s.IdleEnd = s.Deadline
	}
	return s
}

// ValidName reports whether name may name an administrator: 1 to 64
// ASCII letters, digits and . _ @ -, so it reads plainly in the audit
// trail and needs no escaping anywhere.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._@-", c)) {
			return false
		}
	}
	return true
}
