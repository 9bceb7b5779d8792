package web

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// cookieFrom returns the CSRF cookie Token set, and fails unless exactly one was set.
func cookieFrom(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	var found []*http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == CSRFCookie {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s cookie, got %d", CSRFCookie, len(found))
	}
	return found[0]
}

func withCookie(c *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	if c != nil {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

func TestCSRFCookie(t *testing.T) {
	c := &CSRF{Key: testKey, Secure: true, Path: "/tenant"}
	rec := httptest.NewRecorder()
	tok := c.Token(rec, httptest.NewRequest(http.MethodGet, "/authorize", nil), "login:rq1")
	ck := cookieFrom(t, rec)
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != 32 {
		t.Errorf("cookie value %q is not 32 bytes base64url", ck.Value)
	}
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/tenant" || ck.MaxAge != 0 || !ck.Expires.IsZero() {
		t.Errorf("cookie attributes %+v", ck)
	}
	if b, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(b) != 32 {
		t.Errorf("token %q is not an HMAC-SHA256 in base64url", tok)
	}

	rec = httptest.NewRecorder()
	(&CSRF{Key: testKey}).Token(rec, httptest.NewRequest(http.MethodGet, "/", nil), "x")
	if ck := cookieFrom(t, rec); ck.Secure || ck.Path != "/" {
		t.Errorf("Secure=false, zero Path: got %+v", ck)
	}
}

func TestCSRFValid(t *testing.T) {
	c := &CSRF{Key: testKey}
	rec := httptest.NewRecorder()
	tok := c.Token(rec, httptest.NewRequest(http.MethodGet, "/authorize", nil), "login:rq1")
	ck := cookieFrom(t, rec)

	other := httptest.NewRecorder()
	c.Token(other, httptest.NewRequest(http.MethodGet, "/", nil), "login:rq1")
	otherCookie := cookieFrom(t, other)

	tampered := []byte(tok)
	if tampered[3] == 'A' {
		tampered[3] = 'B'
	} else {
		tampered[3] = 'A'
	}
	tests := []struct {
		name    string
		cookie  *http.Cookie
		binding string
		token   string
		want    bool
	}{
		{"same cookie and binding", ck, "login:rq1", tok, true},
		{"another cookie", otherCookie, "login:rq1", tok, false},
		{"another binding", ck, "login:rq2", tok, false},
		{"another purpose", ck, "consent:rq1", tok, false},
		{"no cookie", nil, "login:rq1", tok, false},
		{"tampered token", ck, "login:rq1", string(tampered), false},
		{"truncated token", ck, "login:rq1", tok[:len(tok)-2], false},
		{"empty token", ck, "login:rq1", "", false},
		{"garbage token", ck, "login:rq1", "!!not base64!!", false},
		{"garbage cookie", &http.Cookie{Name: CSRFCookie, Value: "garbage"}, "login:rq1", tok, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Valid(withCookie(tt.cookie), tt.binding, tt.token); got != tt.want {
				t.Errorf("Valid = %v, want %v", got, tt.want)
			}
		})
	}
	if (&CSRF{Key: []byte("another key, also 32 bytes long!")}).Valid(withCookie(ck), "login:rq1", tok) {
		t.Error("valid under another key")
	}
}

func TestCSRFReusesCookie(t *testing.T) {
	c := &CSRF{Key: testKey}
	first := httptest.NewRecorder()
	c.Token(first, httptest.NewRequest(http.MethodGet, "/", nil), "a")
	ck := cookieFrom(t, first)

	// The request carries a good cookie: no new one, and its token is valid.
	rec := httptest.NewRecorder()
	tok := c.Token(rec, withCookie(ck), "consent:rq9")
	if len(rec.Result().Cookies()) != 0 {
		t.Error("a valid cookie was replaced")
	}
	if !c.Valid(withCookie(ck), "consent:rq9", tok) {
		t.Error("token for the reused cookie is not valid")
	}

	// Two tokens in one response share the one cookie they set.
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	t1, t2 := c.Token(rec, req, "login:1"), c.Token(rec, req, "logout:1")
	ck = cookieFrom(t, rec)
	if !c.Valid(withCookie(ck), "login:1", t1) || !c.Valid(withCookie(ck), "logout:1", t2) {
		t.Error("tokens of one response do not share a cookie")
	}

	// A malformed cookie is replaced.
	rec = httptest.NewRecorder()
	c.Token(rec, withCookie(&http.Cookie{Name: CSRFCookie, Value: "short"}), "x")
	if cookieFrom(t, rec).Value == "short" {
		t.Error("malformed cookie kept")
	}
}

func TestCSRFShortKeyFailsClosed(t *testing.T) {
	c := &CSRF{Key: []byte("short")}
	rec := httptest.NewRecorder()
	if tok := c.Token(rec, httptest.NewRequest(http.MethodGet, "/", nil), "x"); tok != "" || len(rec.Result().Cookies()) != 0 {
		t.Errorf("short key made token %q", tok)
	}
	good := &CSRF{Key: testKey}
	rec = httptest.NewRecorder()
	tok := good.Token(rec, httptest.NewRequest(http.MethodGet, "/", nil), "x")
	if c.Valid(withCookie(cookieFrom(t, rec)), "x", tok) || strings.TrimSpace(tok) == "" {
		t.Error("short key validated a token")
	}
}
