package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/mint"
)

// TestDatabaseCopyHoldsNoUsableSecret: the promise of ARCHITECTURE.md — a
// copy of the database alone never yields a usable token. After a busy
// session, the raw SQLite files (database and write-ahead log) contain no
// token, code, secret, password or session cookie, and no private key in
// the clear.
func TestDatabaseCopyHoldsNoUsableSecret(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	g := e.passwordGrant("app", secretApp, "openid offline_access")
	rt := g.str("refresh_token")
	next := e.refreshGrant("app", secretApp, rt)
	b := e.browser()
	verifier, challenge := pkce()
	loc, _ := b.walk(e.authURL(codeRequest(challenge, nil)), alice())
	code := loc.Query().Get("code")
	conf := e.oauth2Config("app", secretApp)
	conf.RedirectURL = "https://app.example/cb"
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var cookies []string
	for _, c := range b.c.Jar.Cookies(mustParse(e.issuer)) {
		cookies = append(cookies, c.Value)
	}
	if len(cookies) == 0 {
		t.Fatal("the browser holds no cookies to look for")
	}
	e.stop()

	var raw []byte
	files, _ := filepath.Glob(filepath.Join(e.dir, "tollgate.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if len(raw) == 0 {
		t.Fatal("no database files found")
	}
	secrets := append([]string{rt, next.str("refresh_token"), g.str("access_token"), code, tok.RefreshToken, tok.AccessToken}, e.secrets...)
	secrets = append(secrets, cookies...)
	for _, s := range secrets {
		if s != "" && bytes.Contains(raw, []byte(s)) {
			t.Fatalf("the database holds a usable value in the clear: %.12s…", s)
		}
	}
	if bytes.Contains(raw, []byte(`"d":"`)) || bytes.Contains(raw, []byte(`"p":"`)) {
		t.Fatal("the database holds a private key in the clear")
	}
	// And the hashes are there, so the test looked at the right files.
	if !bytes.Contains(raw, []byte(mint.HashToken(rt))) {
		t.Fatal("the database files do not hold the refresh token's hash")
	}
}
