package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// BenchmarkRefreshInProcessDPoP is BenchmarkRefreshInProcess/ES256 with a
// DPoP-bound grant: every refresh carries a proof, which the server
// verifies (ECDSA), records (its jti in the store) and binds the access
// token to. The proofs are made before the timer starts, so what is
// measured is the server's work alone; set beside the plain ES256 figure
// it is what DPoP costs a refresh.
//
//	go test -run '^$' -bench RefreshInProcessDPoP -benchtime 2s -benchmem ./e2e/
func BenchmarkRefreshInProcessDPoP(b *testing.B) {
	e := startWith(b, func(c *config.Config) {
		c.Tokens.SigningAlg = "ES256"
		c.LogLevel = "warn"
	})
	h := e.app.Handler()
	k := newDPoPKey(nil, e)
	k.tb = b
	htu := e.issuer + "/connect/token" // the URL the server expects, whatever Host the request names
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}, "scope": {"openid offline_access"}}
	rt := inProcessDPoPToken(b, h, form.Encode(), k.proof("POST", htu, ""))
	proofs := make([]string, b.N)
	for i := range proofs {
		proofs[i] = k.proof("POST", htu, "")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		rt = inProcessDPoPToken(b, h, "grant_type=refresh_token&refresh_token="+rt, proofs[i])
	}
}

// inProcessDPoPToken is inProcessToken with a DPoP header.
func inProcessDPoPToken(b *testing.B, h http.Handler, body, proof string) string {
	req, err := http.NewRequest(http.MethodPost, "http://example.com/connect/token", strings.NewReader(body))
	if err != nil {
		b.Fatalf("token request: %v", err)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	req.RequestURI = "/connect/token"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	req.SetBasicAuth("app", secretApp)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct {
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK || out.RefreshToken == "" || out.TokenType != "DPoP" {
		b.Fatalf("token request: %d %s", rec.Code, rec.Body)
	}
	return out.RefreshToken
}
