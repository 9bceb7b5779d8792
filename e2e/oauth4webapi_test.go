package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// The Node interop tests: oauth4webapi and openid-client, DPoP clients
// others wrote, run the scripts in e2e/testdata/oauth4webapi against the
// real server on loopback.
const oauth4Dir = "testdata/oauth4webapi"

// oauth4Summary is one JSON line the script prints.
type oauth4Summary struct {
	Phase        string   `json:"phase"`
	JKT          string   `json:"jkt"`
	Sub          string   `json:"sub"`
	TokenTypes   []string `json:"token_types"`
	Refreshes    int      `json:"refreshes"`
	NonceRetries int      `json:"nonce_retries"`
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token"`
}

// nodeFor returns the node binary when it and the script's node_modules
// are there. Outside CI the test is skipped without them; with CI set (as
// .ci/run does) it fails, so CI can never pass by skipping it.
func nodeFor(t *testing.T, dir, module string) string {
	t.Helper()
	const how = "needs node 20+ and `npm ci --prefix e2e/testdata/oauth4webapi` (.ci/run does both)"
	node, err := exec.LookPath("node")
	if err == nil {
		err = nodeAtLeast20(node)
	}
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", module, "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set: the Node interop test must run; %s (%v)", how, err)
		}
		t.Skipf("%s (%v)", how, err)
	}
	return node
}

// nodeAtLeast20: oauth4webapi 3 runs on Node 20 or later (it needs the
// global WebCrypto API; Debian bookworm's nodejs package is 18).
func nodeAtLeast20(node string) error {
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return err
	}
	v := strings.TrimSpace(string(out))
	major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
	if n, err := strconv.Atoi(major); err != nil || n < 20 {
		return fmt.Errorf("node %s is too old: oauth4webapi 3 needs Node 20 or later", v)
	}
	return nil
}

// followWallClock makes the server's clock tick with the real one until the
// test ends: the Node client stamps its proofs' iat with the real time, and
// the server checks it against its own clock (RFC 9449 §11.1).
func followWallClock(t *testing.T, c *clock) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	set := func() { c.Set(time.Now()) }
	set()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				set()
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
}

// TestOAuth4WebAPIDPoP: oauth4webapi signs in with the password grant and a
// DPoP proof, retries on use_dpop_nonce as the library documents (nonces
// are on), refreshes twice and calls userinfo, all DPoP-bound. The server
// side is checked from Go: the access token's cnf.jkt is the script's key,
// and the script's refresh token is useless without that key, to a thief
// with no proof or a proof by another key. The script then carries on.
func TestOAuth4WebAPIDPoP(t *testing.T) { runNodeDPoP(t, "oauth4webapi", "dpop.mjs") }

// TestOpenIDClientDPoP: the same with openid-client v6, which retries on
// use_dpop_nonce by itself (its script counts the nonce challenges).
func TestOpenIDClientDPoP(t *testing.T) { runNodeDPoP(t, "openid-client", "dpop-openid-client.mjs") }

// runNodeDPoP runs script, which uses the Node package module, against a
// fresh server with DPoP nonces on, and checks the server's side.
func runNodeDPoP(t *testing.T, module, script string) {
	node := nodeFor(t, oauth4Dir, module)
	e := startWith(t, func(c *config.Config) { c.DPoP.Nonce = true })
	followWallClock(t, e.clk)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = oauth4Dir
	cmd.Env = append(os.Environ(), "TOLLGATE_ISSUER="+e.issuer, "TOLLGATE_CLIENT_ID=app",
		"TOLLGATE_CLIENT_SECRET="+secretApp, "TOLLGATE_USERNAME=alice", "TOLLGATE_PASSWORD="+alicePW,
		"TOLLGATE_PAUSE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	// fail stops the script and reports what it said on stderr.
	fail := func(format string, args ...any) {
		t.Helper()
		stdin.Close()
		cancel()
		_, _ = io.Copy(io.Discard, stdout)
		werr := cmd.Wait()
		t.Fatalf(format+"\nnode: %v\nstderr:\n%s", append(args, werr, stderr.String())...)
	}
	next := func(phase string) oauth4Summary {
		t.Helper()
		if !lines.Scan() {
			fail("the script printed no %q line", phase)
		}
		var s oauth4Summary
		if err := json.Unmarshal(lines.Bytes(), &s); err != nil || s.Phase != phase {
			fail("summary line for %q: %v (%d bytes)", phase, err, len(lines.Bytes()))
		}
		return s
	}

	s := next("bound")
	t.Logf("%s: key %s, token types %v, %d refreshes, %d nonce retries", module, s.JKT, s.TokenTypes, s.Refreshes, s.NonceRetries)
	if s.Sub != "sub-alice" || s.Refreshes != 2 || len(s.TokenTypes) != 3 ||
		slices.ContainsFunc(s.TokenTypes, func(tt string) bool { return tt != "dpop" }) {
		fail("summary: sub %q, %d refreshes, token types %v; want sub-alice, 2, all dpop", s.Sub, s.Refreshes, s.TokenTypes)
	}
	// Nonces are on, so the library's first request must have been sent
	// back with use_dpop_nonce and retried (RFC 9449 §8).
	if s.NonceRetries < 1 {
		fail("the script never retried on use_dpop_nonce, with nonces on")
	}
	// The server's own view: the access token is bound to the key the
	// library made, verified against the published JWKS.
	claims := e.accessClaims(t, s.AccessToken)
	if cnf, _ := claims["cnf"].(map[string]any); s.JKT == "" || cnf["jkt"] != s.JKT || claims["sub"] != "sub-alice" {
		fail("access token: cnf %v sub %v; want jkt %s, sub-alice", claims["cnf"], claims["sub"], s.JKT)
	}

	// A thief with the refresh token and even the client's secret, but not
	// the key: refused without a proof and with a proof by another key,
	// and the grant is left untouched.
	if r := e.refreshGrant("app", secretApp, s.RefreshToken); r.Status != 400 ||
		(r.str("error") != "invalid_grant" && r.str("error") != "invalid_dpop_proof") {
		fail("refresh without a proof: %d %s", r.Status, r.str("error"))
	}
	thief := newDPoPKey(t, e)
	if r := thief.token(refreshForm(s.RefreshToken), thief.proof("POST", e.tokenURL(), "")); r.Status != 400 || r.str("error") != "invalid_grant" {
		fail("refresh with another key's proof: %d %s", r.Status, r.str("error"))
	}

	// The client carries on with its own key from the very token the thief
	// presented: one more refresh and userinfo through the library.
	if _, err := io.WriteString(stdin, "go on\n"); err != nil {
		fail("stdin: %v", err)
	}
	after := next("after-thief")
	if after.RefreshToken == s.RefreshToken || after.Refreshes != 3 || after.Sub != "sub-alice" || after.JKT != s.JKT {
		fail("after the thief: %d refreshes, sub %q, same key %v, rotated %v", after.Refreshes, after.Sub,
			after.JKT == s.JKT, after.RefreshToken != s.RefreshToken)
	}
	if cnf, _ := e.accessClaims(t, after.AccessToken)["cnf"].(map[string]any); cnf["jkt"] != s.JKT {
		fail("access token after the thief: cnf %v, want jkt %s", cnf, s.JKT)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("node: %v\nstderr:\n%s", err, stderr.String())
	}
}
