package e2e

import (
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBadInputNeverBreaksTheServer: every malformed request gets the RFC
// 6749 §5.2 error that fits, with a description, and never a 500.
func TestBadInputNeverBreaksTheServer(t *testing.T) {
	e := start(t)
	raw := func(method, path, ctype, body string, hdr map[string]string) response {
		req, _ := http.NewRequest(method, e.issuer+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return e.do(req)
	}
	form := "application/x-www-form-urlencoded"
	basic := map[string]string{"Authorization": "Basic " + b64("app:"+secretApp)}
	cases := []struct {
		name, method, ctype, body string
		hdr                       map[string]string
		status                    int
		code                      string
	}{
		{"GET on the token endpoint", "GET", "", "", nil, 405, "invalid_request"},
		{"no body", "POST", form, "", basic, 400, "invalid_request"},
		{"JSON body", "POST", "application/json", `{"grant_type":"password"}`, basic, 400, "invalid_request"},
		{"no content type", "POST", "", "grant_type=password", basic, 400, "invalid_request"},
		{"broken form", "POST", form, "grant_type=%zz", basic, 400, "invalid_request"},
		{"repeated parameter", "POST", form, "grant_type=password&grant_type=client_credentials", basic, 400, "invalid_request"},
		{"huge body", "POST", form, "grant_type=password&x=" + strings.Repeat("a", 70<<10), basic, 413, "invalid_request"},
		{"no client", "POST", form, "grant_type=client_credentials", nil, 401, "invalid_client"},
		{"garbage Basic", "POST", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic !!!"}, 401, "invalid_client"},
		{"Basic without colon", "POST", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + b64("app")}, 401, "invalid_client"},
		{"wrong secret", "POST", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + b64("app:nope")}, 401, "invalid_client"},
		{"unknown client", "POST", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + b64("ghost:"+secretApp)}, 401, "invalid_client"},
		{"two auth methods", "POST", form, "grant_type=client_credentials&client_id=app&client_secret=" + secretApp, basic, 400, "invalid_request"},
		{"wrong method for client", "POST", form, "grant_type=client_credentials&client_id=app&client_secret=" + secretApp, nil, 401, "invalid_client"},
		{"missing grant_type", "POST", form, "scope=openid", basic, 400, "invalid_request"},
		{"unknown grant_type", "POST", form, "grant_type=urn:x", basic, 400, "unsupported_grant_type"},
		{"grant not allowed", "POST", form, "grant_type=client_credentials", map[string]string{"Authorization": "Basic " + b64("reuse:"+secretReuse)}, 400, "unauthorized_client"},
		{"password without username", "POST", form, "grant_type=password&password=x", basic, 400, "invalid_request"},
		{"wrong password", "POST", form, "grant_type=password&username=alice&password=nope", basic, 400, "invalid_grant"},
		{"unknown user", "POST", form, "grant_type=password&username=mallory&password=nope", basic, 400, "invalid_grant"},
		{"unknown scope", "POST", form, "grant_type=password&username=alice&password=" + url.QueryEscape(alicePW) + "&scope=admin", basic, 400, "invalid_scope"},
		{"refresh without token", "POST", form, "grant_type=refresh_token", basic, 400, "invalid_request"},
		{"refresh garbage", "POST", form, "grant_type=refresh_token&refresh_token=%00%01%02", basic, 400, "invalid_grant"},
		{"refresh forged", "POST", form, "grant_type=refresh_token&refresh_token=tgrt_" + strings.Repeat("A", 43), basic, 400, "invalid_grant"},
		{"code missing", "POST", form, "grant_type=authorization_code", basic, 400, "invalid_request"},
		{"code forged", "POST", form, "grant_type=authorization_code&code=tgac_" + strings.Repeat("A", 43), basic, 400, "invalid_grant"},
		{"binary junk", "POST", form, "\x00\xff\xfe=\x01&grant_type=\xff", basic, 400, "unsupported_grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := raw(c.method, "/connect/token", c.ctype, c.body, c.hdr)
			wantError(t, r, c.status, c.code)
			if c.code == "invalid_client" && r.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 invalid_client without WWW-Authenticate")
			}
		})
	}
	// Random bytes at every endpoint: a 4xx, never a 5xx.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, path := range []string{"/connect/token", "/connect/revocation", "/connect/introspect", "/connect/userinfo",
		"/connect/par", "/connect/authorize", "/connect/endsession", "/account/login", "/account/consent"} {
		for range 40 {
			b := make([]byte, rng.IntN(300))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			r := raw("POST", path, form, string(b), basic)
			if r.Status >= 500 || r.Status < 400 && path == "/connect/token" {
				t.Fatalf("%s with %q: %d %s", path, b, r.Status, r.Raw)
			}
			// The same bytes as a query string on the browser endpoints.
			q := rawQuery(b)
			if r := raw("GET", path+"?"+q, "", "", nil); r.Status >= 500 {
				t.Fatalf("GET %s?%q: %d %s", path, q, r.Status, r.Raw)
			}
		}
	}
}

// TestNoSecretInLogs: after a busy session, the log holds ids, never a
// token, secret or password.
func TestNoSecretInLogs(t *testing.T) {
	e := start(t)
	g := e.passwordGrant("app", secretApp, "openid offline_access")
	rt := g.str("refresh_token")
	next := e.refreshGrant("app", secretApp, rt).str("refresh_token")
	e.clk.Add(5 * 60e9)
	e.refreshGrant("app", secretApp, rt) // reuse: audit event
	e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong-password"}}, "app", secretApp)
	e.post("/connect/token", url.Values{"grant_type": {"client_credentials"}}, "app", "wrong-secret")
	logs := e.logs.String()
	if !strings.Contains(logs, "refresh_token_reuse") {
		t.Fatalf("the reuse left no audit event:\n%s", logs)
	}
	for _, s := range append(e.secrets, rt, next, g.str("access_token"), g.str("id_token"), "wrong-password", "wrong-secret") {
		if s != "" && strings.Contains(logs, s) {
			t.Fatalf("the log contains a secret value %q:\n%s", s, logs)
		}
	}
}

// rawQuery keeps bytes a request line can carry as they are (malformed
// percent-escapes included) and escapes the rest.
func rawQuery(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '#' {
			sb.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
