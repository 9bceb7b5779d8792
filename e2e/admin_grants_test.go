package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/admin"
)

// uaTransport sends every request with the test's own User-Agent.
type uaTransport struct{ ua string }

func (u uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return http.DefaultTransport.RoundTrip(r)
}

const grantsUA = "tollgate-e2e-grants/1.0 (x/oauth2)"

// adminJSON sends one admin API request with the admin token, body (when
// not nil) as JSON, and decodes a 2xx answer into out (when not nil); it
// returns the status and body.
func adminJSON(t *testing.T, base, method, path string, body, out any) (int, string) {
	t.Helper()
	var raw string
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
	}
	status, answer := adminRaw(t, base, method, admin.PathAPI+path, raw)
	if out != nil && status/100 == 2 {
		if err := json.Unmarshal([]byte(answer), out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, answer)
		}
	}
	return status, answer
}

// refuses reports whether x/oauth2 is refused a refresh of tok with invalid_grant.
func refuses(t *testing.T, conf *oauth2.Config, ctx context.Context, tok *oauth2.Token) bool {
	t.Helper()
	old := *tok
	old.Expiry = time.Now().Add(-time.Minute) // make the library refresh
	_, err := conf.TokenSource(ctx, &old).Token()
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == "invalid_grant"
}

// TestAdminGrants: through the admin listener of the real server, an
// operator lists two clients' grants by client and subject, a page at a
// time; sees a grant's lineage with the User-Agent, address and node of
// the requests that issued its tokens; revokes by id, by token value and
// by client, after which x/oauth2's refresh is refused; and the built
// binary's `grants list` answers the same over --admin-url and --config.
func TestAdminGrants(t *testing.T) {
	e, base := startAdmin(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: uaTransport{grantsUA}})
	app := e.oauth2Config("app", secretApp, "openid", "offline_access")
	app2 := e.oauth2Config("app2", secretApp2, "openid", "offline_access")
	signIn := func(conf *oauth2.Config, user string) *oauth2.Token {
		t.Helper()
		tok, err := conf.PasswordCredentialsToken(ctx, user, alicePW)
		if err != nil {
			t.Fatalf("%s signs in %s: %v", conf.ClientID, user, err)
		}
		e.secrets = append(e.secrets, tok.AccessToken, tok.RefreshToken)
		return tok
	}
	appAlice := []*oauth2.Token{signIn(app, "alice"), signIn(app, "alice"), signIn(app, "alice")}
	appBob := signIn(app, "bob")
	app2Alice := []*oauth2.Token{signIn(app2, "alice"), signIn(app2, "alice")}

	// Two refreshes of the first grant, by x/oauth2.
	cur := appAlice[0]
	for range 2 {
		old := *cur
		old.Expiry = time.Now().Add(-time.Minute)
		next, err := app.TokenSource(ctx, &old).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		e.secrets = append(e.secrets, next.AccessToken, next.RefreshToken)
		cur = next
	}

	// The app's grants, two at a time: four, each once, in id order.
	var ids []string
	after := ""
	for page := 0; ; page++ {
		var p admin.GrantPage
		q := "/grants?client=app&live=true&limit=2"
		if after != "" {
			q += "&after=" + after
		}
		if code, body := adminJSON(t, base, "GET", q, nil, &p); code != 200 {
			t.Fatalf("list page %d: %d %s", page, code, body)
		}
		for _, g := range p.Items {
			if g.ClientID != "app" || !g.Live {
				t.Errorf("listing by client app holds %+v", g)
			}
			ids = append(ids, g.ID)
		}
		if p.Next == "" {
			break
		}
		if len(p.Items) != 2 || page > 3 {
			t.Fatalf("page %d of %d items with a next cursor", page, len(p.Items))
		}
		after = p.Next
	}
	if len(ids) != 4 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 4 {
		t.Fatalf("the app's grants over pages: %v, want 4 distinct in id order", ids)
	}
	var bob admin.GrantPage
	adminJSON(t, base, "GET", "/grants?subject=sub-bob", nil, &bob)
	if len(bob.Items) != 1 || bob.Items[0].Subject != "sub-bob" || bob.Items[0].ClientID != "app" {
		t.Fatalf("bob's grants: %+v", bob.Items)
	}
	var alice2 admin.GrantPage
	adminJSON(t, base, "GET", "/grants?subject=sub-alice&client=app2", nil, &alice2)
	if len(alice2.Items) != 2 {
		t.Fatalf("alice's app2 grants: %+v", alice2.Items)
	}

	// The refreshed grant's lineage: generation 2, its live token and the
	// one it replaced, each issued from here by this node.
	var refreshed admin.Grant
	for _, id := range ids {
		var l admin.Lineage
		adminJSON(t, base, "GET", "/grants/"+id, nil, &l)
		if l.Grant.Generation == 2 {
			refreshed = l.Grant
			if len(l.Tokens) != 2 || l.Tokens[0].State != "consumed" || l.Tokens[1].State != "live" || l.Tokens[1].Generation != 2 {
				t.Fatalf("lineage tokens: %+v", l.Tokens)
			}
			for _, tk := range l.Tokens {
				if tk.UserAgent != grantsUA || tk.RemoteAddr != "127.0.0.1" || tk.Node != e.app.NodeID {
					t.Errorf("generation %d lineage: node %q, remote %q, user agent %q; want %q, 127.0.0.1, %q",
						tk.Generation, tk.Node, tk.RemoteAddr, tk.UserAgent, e.app.NodeID, grantsUA)
				}
			}
		}
	}
	if refreshed.ID == "" {
		t.Fatal("no listed grant has generation 2")
	}
	_, raw := adminJSON(t, base, "GET", "/grants/"+refreshed.ID, nil, nil)
	for _, secret := range append([]string{cur.RefreshToken, appAlice[0].RefreshToken}, "hash") {
		if strings.Contains(raw, secret) {
			t.Errorf("the lineage shows %q", secret)
		}
	}

	// The binary, over the admin listener and over the store: the same grants.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(adminToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "tollgate.yaml")
	yaml := fmt.Sprintf("issuer: %s\nstorage: sqlite:%s\nsystem_secret_file: %s\n", e.issuer,
		filepath.Join(e.dir, "tollgate.db"), filepath.Join(e.dir, "system.key"))
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	listed := func(args ...string) []string {
		t.Helper()
		r := runTollgate(t, "", append([]string{"grants", "list", "--client", "app", "--json"}, args...)...)
		var p admin.GrantPage
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &p) != nil {
			t.Fatalf("tollgate grants list %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		var got []string
		for _, g := range p.Items {
			got = append(got, fmt.Sprintf("%s %d %s", g.ID, g.Generation, g.UserAgent))
		}
		return got
	}
	overHTTP := listed("--admin-url", base, "--admin-token-file", tokenFile)
	overStore := listed("--config", cfgFile)
	if len(overHTTP) != 4 || !slices.Equal(overHTTP, overStore) {
		t.Fatalf("grants list over --admin-url %v, over --config %v", overHTTP, overStore)
	}
	if r := runTollgate(t, "", "grants", "show", refreshed.ID, "--admin-url", base, "--admin-token-file", tokenFile); r.code != 0 ||
		!strings.Contains(r.stdout, grantsUA) || !strings.Contains(r.stdout, e.app.NodeID) {
		t.Fatalf("grants show: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Revoke by id: then the refresh is refused; again: revoked false.
	var rv admin.Revoked
	if code, body := adminJSON(t, base, "POST", "/grants/"+refreshed.ID+"/revoke", nil, &rv); code != 200 || !rv.Revoked {
		t.Fatalf("revoke by id: %d %s", code, body)
	}
	if !refuses(t, app, ctx, cur) {
		t.Error("the revoked grant's token still refreshes")
	}
	if adminJSON(t, base, "POST", "/grants/"+refreshed.ID+"/revoke", nil, &rv); rv.Revoked {
		t.Error("a second revocation says revoked")
	}
	if code, _ := adminJSON(t, base, "POST", "/grants/no-such-grant/revoke", nil, nil); code != 404 {
		t.Errorf("revoke an unknown grant: %d, want 404", code)
	}

	// Revoke by a token value the operator holds (another client's, even).
	if code, body := adminJSON(t, base, "POST", "/tokens/revoke", map[string]string{"token": app2Alice[0].RefreshToken}, &rv); code != 200 || !rv.Revoked {
		t.Fatalf("revoke by token value: %d %s", code, body)
	}
	if !refuses(t, app2, ctx, app2Alice[0]) {
		t.Error("the grant of the revoked token value still refreshes")
	}
	if code, _ := adminJSON(t, base, "POST", "/tokens/revoke", map[string]string{"token": "not-a-token-this-server-made"}, nil); code != 404 {
		t.Errorf("revoke an unknown token value: %d, want 404", code)
	}

	// Revoke by client: app's three live grants left; app2's untouched.
	var n struct{ Revoked int }
	if code, body := adminJSON(t, base, "POST", "/grants/revoke", map[string]string{"client": "app"}, &n); code != 200 || n.Revoked != 3 {
		t.Fatalf("revoke client app: %d %s, want 3 revoked", code, body)
	}
	for _, tok := range []*oauth2.Token{appAlice[1], appAlice[2], appBob} {
		if !refuses(t, app, ctx, tok) {
			t.Error("a grant of the revoked client still refreshes")
		}
	}
	if refuses(t, app2, ctx, app2Alice[1]) {
		t.Error("revoking client app revoked an app2 grant")
	}
	var live admin.GrantPage
	adminJSON(t, base, "GET", "/grants?live=true", nil, &live)
	if len(live.Items) != 1 || live.Items[0].ClientID != "app2" {
		t.Errorf("live grants after the revocations: %+v", live.Items)
	}
	if got := scrapeMetrics(t, base).value("tollgate_revocations_total", "source", "admin"); got != 5 {
		t.Errorf("revocations by admin = %v, want 5 (one by id, one by token, three by client)", got)
	}
}
