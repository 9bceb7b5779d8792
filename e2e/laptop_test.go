package e2e

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
)

// The demo values of examples/laptop.yaml, as a reader of that file types them.
const (
	laptopAddr     = "127.0.0.1:8080"
	laptopApp      = "laptop-app"
	laptopSecret   = "demo-secret-laptop-only-0123456789abcdef"
	laptopUser     = "alice"
	laptopPassword = "demo-password-laptop-only"
	laptopBatch    = "laptop-batch"
	laptopBatchKey = "laptop-batch-key.DEMO-ONLY.pem"
)

// TestLaptopExampleRuns starts the real binary with examples/laptop.yaml
// as it stands (copied, so the database lands in a temporary folder; its
// port moved only when 127.0.0.1:8080 is taken on this machine), checks it
// first with `tollgate check`, then runs what the file's comments promise:
// a password grant and a refresh through golang.org/x/oauth2 with the ID
// token verified by go-oidc, and a client-credentials request by the
// private_key_jwt client with an assertion signed by the demo private key
// from examples/. SIGTERM ends it with exit status 0, and serve logged the
// same configuration warnings check printed, and none of the demo secrets.
func TestLaptopExampleRuns(t *testing.T) {
	dir := copyExample(t, "laptop.yaml", laptopBatchKey)
	cfgPath := filepath.Join(dir, "laptop.yaml")
	addr := laptopAddr
	if l, err := net.Listen("tcp", addr); err != nil {
		addr = freeLoopbackAddr(t)
		t.Logf("%s is taken here; the copy listens on %s instead", laptopAddr, addr)
		b, _ := os.ReadFile(cfgPath)
		if err := os.WriteFile(cfgPath, []byte(strings.ReplaceAll(string(b), laptopAddr, addr)), 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		l.Close()
	}
	issuer := "http://" + addr

	check := runTollgate(t, "", "check", "--config", cfgPath)
	if check.code != 0 || !strings.Contains(check.stdout, "configuration is valid: 2 client(s), 1 user(s)") {
		t.Fatalf("check: exit %d\n%s%s", check.code, check.stdout, check.stderr)
	}
	var warnings []string
	for _, line := range strings.FieldsFunc(check.stderr, func(r rune) bool { return r == '\n' }) {
		w, ok := strings.CutPrefix(line, "warning: configuration: ")
		if !ok {
			t.Fatalf("check printed a line that is not a warning: %q", line)
		}
		warnings = append(warnings, w)
	}
	if len(warnings) == 0 || !strings.Contains(warnings[0], `"alice".password`) {
		t.Fatalf("check does not warn about the plain demo password: %q", check.stderr)
	}

	srv := startTollgate(t, cfgPath, issuer)
	ctx := context.Background()

	// The password grant and a refresh, as the file's curl lines do it.
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	oc := &oauth2.Config{ClientID: laptopApp, ClientSecret: laptopSecret, Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess}}
	tok, err := oc.PasswordCredentialsToken(ctx, laptopUser, laptopPassword)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: laptopApp})
	rawID, _ := tok.Extra("id_token").(string)
	id, err := verifier.Verify(ctx, rawID)
	if err != nil || id.Subject != "laptop-demo-alice" {
		t.Fatalf("ID token: %v (subject %q)", err, subjectOf(id))
	}
	if !strings.HasPrefix(tok.RefreshToken, "tgrt_") {
		t.Fatalf("no refresh token for offline_access: %+v", tok)
	}
	tok.Expiry = time.Now().Add(-time.Minute) // make the token source refresh now
	refreshed, err := oc.TokenSource(ctx, tok).Token()
	if err != nil || refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v (a new refresh token? %v)", err, refreshed != nil && refreshed.RefreshToken != tok.RefreshToken)
	}

	// private_key_jwt (RFC 7523 §2.2) with the demo key from examples/.
	assertion := laptopAssertion(t, filepath.Join(dir, laptopBatchKey), issuer)
	res, err := http.PostForm(provider.Endpoint().TokenURL, url.Values{
		"grant_type": {"client_credentials"}, "scope": {"demo.api"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
	})
	if err != nil {
		t.Fatal(err)
	}
	var cc struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	err = json.NewDecoder(res.Body).Decode(&cc)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || cc.AccessToken == "" {
		t.Fatalf("client credentials with the demo key: %d %s: %s (%v)", res.StatusCode, cc.Error, cc.Description, err)
	}
	keys := oidc.NewRemoteKeySet(ctx, issuer+"/.well-known/openid-configuration/jwks")
	if _, err := keys.VerifySignature(ctx, cc.AccessToken); err != nil {
		t.Fatalf("the access token does not verify against the JWKS: %v", err)
	}

	if code := srv.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM\n%s", code, srv.output)
	}
	logs := strings.ReplaceAll(srv.output.String(), `\"`, `"`) // text and JSON logs quote alike
	if n := strings.Count(logs, "configuration: "); n != len(warnings) {
		t.Errorf("serve logged %d configuration warnings, check printed %d\n%s", n, len(warnings), logs)
	}
	for _, w := range warnings {
		if !strings.Contains(logs, w) {
			t.Errorf("serve did not log check's warning %q", w)
		}
	}
	for _, s := range []string{laptopSecret, laptopPassword, tok.RefreshToken, refreshed.RefreshToken, assertion, cc.AccessToken} {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds a secret or token value (%.12s…)", s)
		}
	}
}

func subjectOf(id *oidc.IDToken) string {
	if id == nil {
		return ""
	}
	return id.Subject
}

// laptopAssertion signs a client assertion (RFC 7523 §3) for laptop-batch
// with the PEM private key at path, as a reader of examples/ would.
func laptopAssertion(t *testing.T, path, issuer string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b) // the DEMO ONLY lines above the key are skipped
	if blk == nil {
		t.Fatalf("%s holds no PEM block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "laptop-demo-2026"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: laptopBatch, Subject: laptopBatch, Audience: jwt.Audience{issuer},
		ID: "laptop-" + now.Format(time.RFC3339Nano), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(50 * time.Second))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
