package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres/pgtest"
)

// BenchmarkRefreshGrant measures whole refresh grants over HTTP on loopback:
// client authentication, rotation in SQLite, an access token and an ID
// token signed, JSON out. Each parallel worker refreshes its own chain.
//
//	go test -run '^$' -bench RefreshGrant -benchtime 5s ./e2e/
//
// The PostgreSQL variant runs on a schema of its own in the server that
// TOLLGATE_TEST_POSTGRES names (skipped without it):
//
//	go test -run '^$' -bench 'RefreshGrant/ES256' -benchtime 5s ./e2e/
func BenchmarkRefreshGrant(b *testing.B) {
	for _, bc := range []struct{ name, alg, store string }{
		{"RS256", "RS256", "sqlite"}, {"ES256", "ES256", "sqlite"}, {"ES256-PostgreSQL", "ES256", "postgres"},
		// The shipped defaults: ES256 access tokens, RS256 ID tokens.
		{"defaults", "", "sqlite"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := startWith(b, func(c *config.Config) {
				if bc.alg != "" {
					c.Tokens.SigningAlg = bc.alg
				}
				c.LogLevel = "warn"
				if bc.store == "postgres" {
					c.Storage = pgtest.Schema(b, "tg_bench", nil)
				}
			})
			const perCore = 4 // workers per core, as a loaded server sees
			b.SetParallelism(perCore)
			// One chain per worker, signed in one after the other: the
			// password throttle admits no more parallel attempts for one
			// username than it has free failures (issue 10), and sign-in
			// is not what this measures.
			chains := make(chan string, perCore*runtime.GOMAXPROCS(0))
			for range cap(chains) {
				chains <- e.benchSignIn(b)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rt := <-chains
				client := &http.Client{}
				for pb.Next() {
					rt = e.benchRefresh(b, client, rt)
				}
			})
		})
	}
}

func (e *env) benchSignIn(b *testing.B) string {
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}, "scope": {"openid offline_access"}}
	req, _ := http.NewRequest(http.MethodPost, e.tokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", secretApp)
	return e.benchDo(b, http.DefaultClient, req)
}

func (e *env) benchRefresh(b *testing.B, c *http.Client, rt string) string {
	req, _ := http.NewRequest(http.MethodPost, e.tokenURL(), strings.NewReader("grant_type=refresh_token&refresh_token="+rt))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", secretApp)
	return e.benchDo(b, c, req)
}

// benchDo sends a token request and returns the refresh token of the answer.
func (e *env) benchDo(b *testing.B, c *http.Client, req *http.Request) string {
	// Errorf, not Fatalf: this runs on RunParallel's goroutines.
	res, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return ""
	}
	defer res.Body.Close()
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK || body.RefreshToken == "" {
		b.Errorf("token request: %d %v", res.StatusCode, err)
	}
	return body.RefreshToken
}
