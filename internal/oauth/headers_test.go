package oauth

import (
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"testing"
)

// TestSharedHeaderValuesUnchanged: the header values every response shares
// (headers.go) keep their text, a response that adds to or replaces one
// changes only its own header, and each is indexed by its canonical key,
// as Header.Set would have done.
func TestSharedHeaderValuesUnchanged(t *testing.T) {
	shared := []struct {
		key string
		v   []string
		was string
	}{
		{"X-Content-Type-Options", hvNosniff, "nosniff"},
		{"Referrer-Policy", hvNoReferrer, "no-referrer"},
		{"X-Frame-Options", hvDeny, "DENY"},
		{"Content-Security-Policy", hvDefaultCSP, defaultCSP},
		{"Strict-Transport-Security", hvHSTS, hstsValue},
		{"Cache-Control", hvNoStore, "no-store"},
		{"Pragma", hvNoCache, "no-cache"},
		{"Content-Type", hvJSON, "application/json"},
	}
	s, _ := edgeServer(t, "https://login.example.com")
	h := s.Handler()
	for range 2 {
		// A GET to the token endpoint is answered by the error writer:
		// edge headers, no-store and JSON, all shared.
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, PathToken, nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET %s: %d, want 405", PathToken, w.Code)
		}
		for _, sh := range shared {
			if got := w.Header().Values(sh.key); len(got) != 1 || got[0] != sh.was {
				t.Errorf("response %s = %q, want %q", sh.key, got, sh.was)
			}
			// What a later writer may do to its own response.
			w.Header().Add(sh.key, "added")
			w.Header()[sh.key][0] = "overwritten?"
		}
	}
	for _, sh := range shared {
		if len(sh.v) != 1 || cap(sh.v) != 1 {
			t.Errorf("%s: shared value has len %d cap %d; Add could write into it", sh.key, len(sh.v), cap(sh.v))
		}
		if len(sh.v) > 0 && sh.v[0] != sh.was {
			t.Errorf("%s: shared value became %q, want %q", sh.key, sh.v[0], sh.was)
		}
		if c := textproto.CanonicalMIMEHeaderKey(sh.key); c != sh.key {
			t.Errorf("key %q is not canonical (%q): Get would not find it", sh.key, c)
		}
	}
}
