package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// BenchmarkRefreshInProcess is the whole refresh grant through the server's
// HTTP handler, without a network: form parsing, client authentication
// (client_secret_basic, SHA-256), rotation in SQLite, an access token and
// an ID token signed, JSON out. Set beside BenchmarkRefreshGrant (the same over
// loopback HTTP), it shows what the network and net/http cost.
//
//	go test -run '^$' -bench RefreshInProcess -benchtime 5s ./e2e/
func BenchmarkRefreshInProcess(b *testing.B) {
	// "defaults" is the shipped configuration: ES256 access tokens, RS256
	// ID tokens; the others sign both tokens with one algorithm.
	for _, alg := range []string{"ES256", "RS256", "defaults"} {
		b.Run(alg, func(b *testing.B) {
			e := startWith(b, func(c *config.Config) {
				if alg != "defaults" {
					c.Tokens.SigningAlg = alg
				}
				c.LogLevel = "warn"
			})
			h := e.app.Handler()
			const perCore = 4 // as BenchmarkRefreshGrant
			b.SetParallelism(perCore)
			chains := make(chan string, perCore*runtime.GOMAXPROCS(0))
			for range cap(chains) {
				form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}, "scope": {"openid offline_access"}}
				chains <- inProcessToken(b, h, form.Encode())
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rt := <-chains
				for pb.Next() {
					rt = inProcessToken(b, h, "grant_type=refresh_token&refresh_token="+rt)
				}
			})
		})
	}
}

// inProcessToken posts a form to the token endpoint through h as client app
// and returns the refresh token of the answer.
func inProcessToken(b *testing.B, h http.Handler, body string) string {
	// http.NewRequest, not httptest.NewRequest: the latter parses the request
	// through a fresh 4 KiB bufio.Reader on every call, a tenth of the bytes
	// this benchmark reported, where a real server reuses one per connection.
	req, err := http.NewRequest(http.MethodPost, "http://example.com/connect/token", strings.NewReader(body))
	if err != nil {
		b.Errorf("token request: %v", err)
		return ""
	}
	req.RemoteAddr = "192.0.2.1:1234" // as httptest.NewRequest sets it
	req.RequestURI = "/connect/token"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", secretApp)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct {
		RefreshToken string `json:"refresh_token"`
	}
	// Errorf, not Fatalf: this runs on RunParallel's goroutines.
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK || out.RefreshToken == "" {
		b.Errorf("token request: %d %s", rec.Code, rec.Body)
	}
	return out.RefreshToken
}
