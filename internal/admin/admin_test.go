package admin_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

const token = "0123456789abcdef0123456789abcdef-admin"

// TestTokenGuardsEveryRoute: the right bearer token passes; none, a wrong
// one, a prefix, a longer one or another scheme get the same 401, on known
// and unknown paths alike.
func TestTokenGuardsEveryRoute(t *testing.T) {
	s, err := admin.New(admin.Options{
		Authorizers: []admin.Authorizer{admin.NewToken(token)},
		Metrics:     http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("metrics")) }),
	})
	if err != nil {
		t.Fatal(err)
	}
	do := func(path, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	if w := do("/metrics", "Bearer "+token); w.Code != 200 || w.Body.String() != "metrics" {
		t.Errorf("with the token: %d %q", w.Code, w.Body.String())
	}
	if w := do("/elsewhere", "Bearer "+token); w.Code != http.StatusNotFound {
		t.Errorf("unknown path with the token: %d, want 404", w.Code)
	}
	var body string
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer x", "Bearer " + token[:len(token)-1], "Bearer " + token + "0",
		"Basic " + token, "Token " + token, " Bearer " + token} {
		for _, path := range []string{"/metrics", "/elsewhere"} {
			w := do(path, auth)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("%s with %q: %d, want 401", path, auth, w.Code)
			}
			if body == "" {
				body = w.Body.String()
			} else if w.Body.String() != body {
				t.Errorf("%s with %q: body %q, others %q", path, auth, w.Body.String(), body)
			}
		}
	}
}

// TestNewRefusesNoAuthorizer: an admin listener is never open.
func TestNewRefusesNoAuthorizer(t *testing.T) {
	if _, err := admin.New(admin.Options{}); err == nil {
		t.Error("New without an authorizer: no error")
	}
}

// TestLoadToken: the environment wins over the file; a short token or a
// missing file is an error that names where it came from.
func TestLoadToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(" "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(admin.EnvToken, "")
	if got, err := admin.LoadToken(file); err != nil || got != token {
		t.Errorf("from the file: %q, %v", got, err)
	}
	if _, err := admin.LoadToken(""); err != admin.ErrNoToken {
		t.Errorf("none: %v, want ErrNoToken", err)
	}
	if _, err := admin.LoadToken(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "admin.token_file") {
		t.Errorf("missing file: %v", err)
	}
	t.Setenv(admin.EnvToken, "from-the-environment-0123456789abcdef")
	if got, err := admin.LoadToken(file); err != nil || got != "from-the-environment-0123456789abcdef" {
		t.Errorf("environment over file: %q, %v", got, err)
	}
	t.Setenv(admin.EnvToken, "short")
	if _, err := admin.LoadToken(file); err == nil || !strings.Contains(err.Error(), admin.EnvToken) {
		t.Errorf("short token: %v", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "[::1]:9090": true, "localhost:9090": true,
		":9090": false, "0.0.0.0:9090": false, "10.0.0.1:9090": false, "[::]:9090": false, "nonsense": false,
	} {
		if got := admin.IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
