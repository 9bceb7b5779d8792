package account

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Cookie names: the account page's own sign-in, and the sign-in in flight
// (state, nonce and PKCE verifier between /account and its callback).
const (
	cookieName    = "tollgate_account"
	pendingCookie = "tollgate_account_pending"
)

// signedIn is what the account cookie holds: who, in which browser session
// (sid), until when. Never a token.
type signedIn struct {
	Sub string `json:"sub"`
	SID string `json:"sid,omitempty"`
	Exp int64  `json:"exp"`
}

// pending is the sign-in in flight: the authorization request's state and
// nonce, and the PKCE code_verifier (RFC 7636 §4.1), until the callback.
type pending struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Exp      int64  `json:"exp"`
	Next     string `json:"next,omitempty"` // ui_locales asked for at /account
}

// minCookieKey is the shortest key the cookies are sealed under (New
// refuses a shorter one; get fails closed on it, like web.CSRF).
const minCookieKey = 32

// cookies seals values as base64url(JSON) "." base64url(HMAC-SHA256(key,
// name 0x00 JSON)): the name in the MAC keeps one cookie's value from
// serving as the other.
type cookies struct {
	key    []byte
	secure bool
	path   string
}

func (c cookies) mac(name string, body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)
}

// set writes the cookie for ttl; the expiry inside the value, checked by
// get against the injected clock, is what counts.
func (c cookies) set(w http.ResponseWriter, name string, v any, ttl time.Duration) {
	body, _ := json.Marshal(v) // plain structs of strings and ints
	val := base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(c.mac(name, body))
	http.SetCookie(w, &http.Cookie{Name: name, Value: val, Path: c.path, MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c cookies) clear(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: c.path, MaxAge: -1, HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteLaxMode})
}

// get reads and checks cookie name into v; false when absent, malformed,
// forged or past exp at now.
func (c cookies) get(r *http.Request, name string, v interface{ expiry() int64 }, now time.Time) bool {
	if len(c.key) < minCookieKey {
		return false // fail closed, like web.CSRF
	}
	ck, err := r.Cookie(name)
	if err != nil {
		return false
	}
	b64body, b64mac, ok := strings.Cut(ck.Value, ".")
	if !ok {
		return false
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64body)
	sum, err2 := base64.RawURLEncoding.DecodeString(b64mac)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, c.mac(name, body)) {
		return false
	}
	if json.Unmarshal(body, v) != nil {
		return false
	}
	return now.Unix() < v.expiry()
}

func (s *signedIn) expiry() int64 { return s.Exp }
func (p *pending) expiry() int64  { return p.Exp }
