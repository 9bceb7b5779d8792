package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// CSRFCookie is the name of the double-submit cookie.
const CSRFCookie = "tollgate_csrf"

const csrfCookieLen = 32 // random bytes in the cookie

// CSRF protects every form with a double-submit cookie bound by HMAC: the
// browser holds a random cookie, and each form carries
// HMAC-SHA256(Key, cookie || 0x00 || binding). An attacker on another site can
// neither read the cookie nor forge the MAC without Key, and the binding (for
// example "login:" + request id) keeps a token from serving another form.
// The zero Path means "/". A Key shorter than 32 bytes fails closed: Token
// returns "" and Valid is always false.
type CSRF struct {
	Key    []byte // secret, >= 32 bytes
	Secure bool   // set the Secure cookie flag (the issuer is https)
	Path   string // cookie path ("/" or the issuer's path)
}

// Token makes sure the browser has the CSRF cookie (HttpOnly, SameSite=Lax,
// Secure per c.Secure, a session cookie), reusing the one the request carries
// if it is well formed, and returns the token for binding. Calls within one
// response share the one cookie they set.
func (c *CSRF) Token(w http.ResponseWriter, r *http.Request, binding string) string {
	if len(c.Key) < 32 {
		return ""
	}
	raw, ok := requestCookie(r)
	if !ok {
		raw, ok = responseCookie(w)
	}
	if !ok {
		raw = make([]byte, csrfCookieLen)
		rand.Read(raw) // crypto/rand never fails (Go 1.24+)
		path := c.Path
		if path == "" {
			path = "/"
		}
		http.SetCookie(w, &http.Cookie{
			Name:     CSRFCookie,
			Value:    base64.RawURLEncoding.EncodeToString(raw),
			Path:     path,
			HttpOnly: true,
			Secure:   c.Secure,
			SameSite: http.SameSiteLaxMode,
		})
	}
	return base64.RawURLEncoding.EncodeToString(c.mac(raw, binding))
}

// Valid reports whether token was made by Token for this request's cookie and
// binding. It compares in constant time; a missing or malformed cookie or
// token is false.
func (c *CSRF) Valid(r *http.Request, binding, token string) bool {
	if len(c.Key) < 32 {
		return false
	}
	raw, ok := requestCookie(r)
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, c.mac(raw, binding))
}

func (c *CSRF) mac(cookie []byte, binding string) []byte {
	m := hmac.New(sha256.New, c.Key)
	m.Write(cookie)
	m.Write([]byte{0})
	m.Write([]byte(binding))
	return m.Sum(nil)
}

// requestCookie is the decoded CSRF cookie the request carries, if well formed.
func requestCookie(r *http.Request) ([]byte, bool) {
	ck, err := r.Cookie(CSRFCookie)
	if err != nil {
		return nil, false
	}
	return decodeCookie(ck.Value)
}

// responseCookie is the CSRF cookie an earlier Token call set on this response.
func responseCookie(w http.ResponseWriter) ([]byte, bool) {
	for _, line := range w.Header().Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err == nil && ck.Name == CSRFCookie {
			return decodeCookie(ck.Value)
		}
	}
	return nil, false
}

func decodeCookie(v string) ([]byte, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) != csrfCookieLen {
		return nil, false
	}
	return raw, true
}
