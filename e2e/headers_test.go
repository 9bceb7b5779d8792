package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSecurityHeadersOnEveryRoute: every response, whatever the route,
// method or outcome (JSON, error, page, redirect, 404, 405, preflight),
// carries nosniff, no-referrer, DENY framing and a CSP that forbids
// framing; pages keep their own hash-based CSP.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	e := start(t)
	_, challenge := pkce()
	authorize := "/connect/authorize?" + url.Values{"client_id": {"spa"}, "redirect_uri": {"https://spa.example/cb"},
		"response_type": {"code"}, "scope": {"openid"}, "state": {"s"}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}}.Encode()
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		method, path, ctype, body string
		status                    int
		page                      bool // HTML with its own CSP
	}{
		{"GET", "/.well-known/openid-configuration", "", "", 200, false},
		{"GET", "/.well-known/oauth-authorization-server", "", "", 200, false},
		{"GET", "/.well-known/openid-configuration/jwks", "", "", 200, false},
		{"POST", "/.well-known/openid-configuration", "", "", 405, false},
		{"POST", "/connect/token", form, "grant_type=password", 401, false},
		{"GET", "/connect/token", "", "", 405, false},
		{"OPTIONS", "/connect/token", "", "", 204, false},
		{"POST", "/connect/revocation", form, "token=x", 401, false},
		{"POST", "/connect/introspect", form, "token=x", 401, false},
		{"GET", "/connect/userinfo", "", "", 401, false},
		{"POST", "/connect/par", form, "client_id=spa", 400, false},
		{"GET", "/connect/authorize", "", "", 400, true},
		{"GET", authorize, "", "", 303, false},
		{"GET", "/connect/authorize/resume?request=nope", "", "", 400, true},
		{"GET", "/connect/endsession", "", "", 200, true},
		{"GET", "/account/login?request=nope", "", "", 400, true},
		{"GET", "/account/consent?request=nope", "", "", 400, true},
		{"GET", "/healthz", "", "", 200, false},
		{"GET", "/no/such/route", "", "", 404, false},
		{"POST", "/connect/token", form, strings.Repeat("a", 70<<10), 413, false},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, e.issuer+tc.path, strings.NewReader(tc.body))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		if tc.method == "OPTIONS" {
			req.Header.Set("Origin", "https://spa.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		res.Body.Close()
		name := tc.method + " " + strings.SplitN(tc.path, "?", 2)[0]
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, res.StatusCode, tc.status)
		}
		h := res.Header
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s (%d): %s = %q, want %q", name, res.StatusCode, k, h.Get(k), v)
			}
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s (%d): CSP %q", name, res.StatusCode, csp)
		}
		if tc.page != strings.Contains(csp, "style-src 'sha256-") {
			t.Errorf("%s (%d): page %v, but CSP %q", name, res.StatusCode, tc.page, csp)
		}
		if hsts := h.Get("Strict-Transport-Security"); hsts != "" {
			t.Errorf("%s: HSTS %q on an http issuer", name, hsts)
		}
	}
}
