package oauth

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// edgeServer is a Server with only what the edge needs: a configuration.
func edgeServer(t *testing.T, issuer string, proxies ...string) (*Server, *bytes.Buffer) {
	t.Helper()
	cfg := config.Default()
	cfg.Issuer = issuer
	cfg.TrustedProxies = proxies
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err := New(Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

// TestClientIPIgnoresForwardedHeadersByDefault: without trusted_proxies a
// client cannot choose the address it is throttled and logged under.
func TestClientIPIgnoresForwardedHeadersByDefault(t *testing.T) {
	s, _ := edgeServer(t, "https://login.example.com")
	r := httptest.NewRequest(http.MethodPost, "/connect/token", nil)
	r.RemoteAddr = "203.0.113.9:5555"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	r.Header.Set("X-Real-IP", "198.51.100.2")
	if got := s.clientIP(r); got != "203.0.113.9" {
		t.Fatalf("clientIP = %q, want the TCP peer", got)
	}
}

// TestClientIPBehindTrustedProxy: behind a listed proxy the forwarded
// address counts; a spoofed one prepended by the client does not.
func TestClientIPBehindTrustedProxy(t *testing.T) {
	s, _ := edgeServer(t, "https://login.example.com", "10.0.0.0/8")
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"10.0.0.7:443", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.7:443", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"203.0.113.9:5555", "198.51.100.1", "203.0.113.9"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Forwarded-For", tc.xff)
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: clientIP = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// TestForwardedProtoWarnsOnce: a trusted proxy forwarding plain http to an
// https issuer is a misconfiguration worth one log line; an untrusted
// client's header is not evidence of anything.
func TestForwardedProtoWarnsOnce(t *testing.T) {
	s, logs := edgeServer(t, "https://login.example.com", "10.0.0.0/8")
	h := s.edge(http.NotFoundHandler())
	send := func(remote string) {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-Proto", "http")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	send("203.0.113.9:1")
	if logs.Len() != 0 {
		t.Fatalf("an untrusted client's X-Forwarded-Proto was believed: %s", logs)
	}
	send("10.0.0.7:1")
	send("10.0.0.7:1")
	if n := strings.Count(logs.String(), "plain-http request"); n != 1 {
		t.Fatalf("warned %d times, want once:\n%s", n, logs)
	}
}

// TestEdgeHeaders: every response carries the security headers, HSTS only
// for an https issuer; a page's own CSP replaces the default.
func TestEdgeHeaders(t *testing.T) {
	for _, issuer := range []string{"https://login.example.com", "http://127.0.0.1:8080"} {
		s, _ := edgeServer(t, issuer)
		page := s.edge(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'sha256-x'")
			w.WriteHeader(200)
		}))
		for name, h := range map[string]http.Handler{"404": s.edge(http.NotFoundHandler()), "page": page} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
			hd := rec.Header()
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if hd.Get(k) != v {
					t.Errorf("%s %s: %s = %q, want %q", issuer, name, k, hd.Get(k), v)
				}
			}
			wantCSP := defaultCSP
			if name == "page" {
				wantCSP = "default-src 'none'; style-src 'sha256-x'"
			}
			if hd.Get("Content-Security-Policy") != wantCSP {
				t.Errorf("%s %s: CSP %q, want %q", issuer, name, hd.Get("Content-Security-Policy"), wantCSP)
			}
			if got, want := hd.Get("Strict-Transport-Security") != "", strings.HasPrefix(issuer, "https"); got != want {
				t.Errorf("%s %s: HSTS %q", issuer, name, hd.Get("Strict-Transport-Security"))
			}
		}
	}
}

// TestBodyLimit: no endpoint reads more than 64 KiB of body, whether the
// request declares its length or streams it.
func TestBodyLimit(t *testing.T) {
	s, _ := edgeServer(t, "https://login.example.com")
	var readErr error
	h := s.edge(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.Copy(io.Discard, r.Body)
	}))
	big := strings.Repeat("a", maxBodyBytes+1)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(big)))
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"error":"invalid_request"`) ||
		rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("declared oversize body: %d %s", rec.Code, rec.Body)
	}

	r := httptest.NewRequest(http.MethodPost, "/x", io.MultiReader(strings.NewReader(big))) // no length: streamed
	r.ContentLength = -1
	h.ServeHTTP(httptest.NewRecorder(), r)
	var tooBig *http.MaxBytesError
	if !errors.As(readErr, &tooBig) {
		t.Fatalf("streamed oversize body read with error %v, want MaxBytesError", readErr)
	}

	readErr = nil
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(big[:maxBodyBytes])))
	if readErr != nil {
		t.Fatalf("a body of exactly the limit: %v", readErr)
	}
}
