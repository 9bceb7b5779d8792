package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestAuditTrail: on the real server, a password grant, a wrong password,
// a refresh, a reuse (the grant revoked), a refused refresh of the revoked
// grant and an RFC 7009 revocation leave their events in the trail, each
// with the request's id, the caller's address and user agent; a refresh
// that succeeds leaves none. The admin API on the admin listener and the
// built binary's `tollgate audit` (over that API, and on the store with
// --config) show them, and no token or password value is in any of it.
func TestAuditTrail(t *testing.T) {
	e, base := startAdmin(t)
	wrong := "not-alices-password-" + fmt.Sprint(time.Now().UnixNano())

	first := e.passwordGrant("app", secretApp, "openid offline_access")
	wantOK(t, first)
	rt0, at0 := first.str("refresh_token"), first.str("access_token")
	tick := func() { e.clk.Add(time.Second) } // the test clock stands still: order the events by time
	tick()
	bad := e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {wrong}, "scope": {"openid"}}, "app", secretApp)
	wantError(t, bad, http.StatusBadRequest, "invalid_grant")
	tick()
	unknown := e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"mallory"},
		"password": {wrong}, "scope": {"openid"}}, "app", secretApp)
	wantError(t, unknown, http.StatusBadRequest, "invalid_grant")
	second := e.refreshGrant("app", secretApp, rt0)
	wantOK(t, second)
	rt1 := second.str("refresh_token")
	e.clk.Add(2 * time.Minute) // past the reuse grace: rt0 again is reuse
	wantError(t, e.refreshGrant("app", secretApp, rt0), http.StatusBadRequest, "invalid_grant")
	tick()
	wantError(t, e.refreshGrant("app", secretApp, rt1), http.StatusBadRequest, "invalid_grant") // the grant is revoked
	// Junk is never recorded.
	wantError(t, e.refreshGrant("app", secretApp, "junk-"+wrong), http.StatusBadRequest, "invalid_grant")
	tick()

	other := e.passwordGrant("app2", secretApp2, "openid offline_access")
	wantOK(t, other)
	rt2 := other.str("refresh_token")
	tick()
	if r := e.post("/connect/revocation", url.Values{"token": {rt2}, "token_type_hint": {"refresh_token"}}, "app2", secretApp2); r.Status != http.StatusOK {
		t.Fatalf("revocation: %d %s", r.Status, r.Raw)
	}
	grant1 := grantOf(t, e, base, "app")

	status, _, body := adminGet(t, base+"/api/v1/audit?subject=sub-alice&limit=100", "Bearer "+adminToken)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/audit: %d %s", status, body)
	}
	var page admin.EventPage
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range page.Items {
		got = append(got, ev.Kind+"/"+ev.Reason+"/"+ev.Actor+"/"+ev.ClientID)
		if ev.RequestID == "" || ev.RemoteAddr != "127.0.0.1" || !strings.HasPrefix(ev.UserAgent, "Go-http-client/") ||
			ev.Node != e.app.NodeID || ev.Subject != "sub-alice" {
			t.Errorf("event %+v: want the request id, 127.0.0.1, Go's user agent, the node and the subject", ev)
		}
	}
	want := []string{
		"sign_in//user/app", "grant_created//client/app", "sign_in_failed/wrong_password/user/app",
		"reuse_detected/outside_grace/system/app", "refresh_refused/revoked/client/app",
		"sign_in//user/app2", "grant_created//client/app2", "revoked/client/client/app2",
	}
	// A sign-in and its grant share a request and an instant: their order
	// is the ids' (storetest holds the order); compare the sets.
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("trail of sub-alice:\n got %q\nwant %q", got, want)
	}
	// The failed sign-in of a username that names nobody: recorded, but
	// without the name typed (it may be a password in the wrong field).
	status, _, failed := adminGet(t, base+"/api/v1/audit?kind=sign_in_failed", "Bearer "+adminToken)
	if status != http.StatusOK || strings.Count(failed, `"unknown_user"`) != 1 || strings.Contains(failed, "mallory") {
		t.Errorf("failed sign-ins: %d %s; want one unknown_user, without the username", status, failed)
	}
	// The grant's own events, by grant id.
	status, _, byGrant := adminGet(t, base+"/api/v1/audit?grant="+url.QueryEscape(grant1), "Bearer "+adminToken)
	if status != http.StatusOK || strings.Count(byGrant, `"kind"`) != 3 {
		t.Errorf("events of grant %s: %d %s; want created, reuse detected, refused", grant1, status, byGrant)
	}

	// The built binary, over the admin API and on the store directly.
	t.Setenv(config.AdminTokenEnv, adminToken)
	viaAPI := runTollgate(t, "", "audit", "--admin-url", base, "--subject", "sub-alice", "--since", "24h")
	cfgPath := writeAuditConfig(t, e)
	viaStore := runTollgate(t, "", "audit", "--config", cfgPath, "--subject", "sub-alice", "--json")
	for name, r := range map[string]cliRun{"--admin-url": viaAPI, "--config --json": viaStore} {
		if r.code != 0 {
			t.Fatalf("tollgate audit %s: exit %d %s", name, r.code, r.stderr)
		}
		for _, s := range []string{"reuse_detected", "outside_grace", "sign_in_failed", "wrong_password", "refresh_refused", "127.0.0.1", grant1} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("tollgate audit %s: no %q in\n%s", name, s, r.stdout)
			}
		}
	}
	var raw admin.EventPage
	if err := json.Unmarshal([]byte(viaStore.stdout), &raw); err != nil || len(raw.Items) != len(page.Items) {
		t.Errorf("tollgate audit --json: %v, %d events, want the API's %d", err, len(raw.Items), len(page.Items))
	}
	if r := runTollgate(t, "", "audit", "--admin-url", base, "--since", "yesterday"); r.code != 2 || !strings.Contains(r.stderr, "tollgate audit -h") {
		t.Errorf("a bad --since: exit %d %q, want 2 with a hint", r.code, r.stderr)
	}

	// No token or password value anywhere in the trail or the log.
	status, _, all := adminGet(t, base+"/api/v1/audit?limit=1000", "Bearer "+adminToken)
	if status != http.StatusOK {
		t.Fatal(status, all)
	}
	secrets := append([]string{rt0, rt1, rt2, at0, second.str("access_token"), other.str("access_token"), wrong,
		first.str("id_token")}, e.secrets...)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for name, text := range map[string]string{"the trail": all, "tollgate audit": viaAPI.stdout + viaStore.stdout, "the log": e.logs.String()} {
			if strings.Contains(text, s) {
				t.Errorf("%s holds a secret value (%.12s…)", name, s)
			}
		}
	}
}

// grantOf returns the id of the newest grant_created event of client.
func grantOf(t *testing.T, e *env, base, client string) string {
	t.Helper()
	_, _, body := adminGet(t, base+"/api/v1/audit?kind=grant_created&client="+client, "Bearer "+adminToken)
	var p admin.EventPage
	if err := json.Unmarshal([]byte(body), &p); err != nil || len(p.Items) == 0 {
		t.Fatalf("no grant_created of %s: %v %s", client, err, body)
	}
	return p.Items[len(p.Items)-1].GrantID
}

// writeAuditConfig writes a configuration the binary can open e's store
// with (the same SQLite file and system secret), its admin listener off.
func writeAuditConfig(t *testing.T, e *env) string {
	t.Helper()
	yaml := fmt.Sprintf("issuer: %s\nstorage: sqlite:%s\nsystem_secret_file: %s\nadmin:\n  listen: \"off\"\n",
		e.issuer, filepath.Join(e.dir, "tollgate.db"), filepath.Join(e.dir, "system.key"))
	p := filepath.Join(t.TempDir(), "tollgate.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
