package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestLogsSeeEveryFailure, in text and JSON: every error answer leaves an
// info line with its OAuth code and the client id, tied by request_id to
// the X-Request-Id the client got and to that request's access line; and
// tokens sent in headers, query strings and bodies never reach the log.
func TestLogsSeeEveryFailure(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			e := startWith(t, func(c *config.Config) { c.LogFormat = format })
			g := e.passwordGrant("app", secretApp, "openid offline_access")
			wantOK(t, g)
			rt, at := g.str("refresh_token"), g.str("access_token")
			secrets := append([]string{rt, at, g.str("id_token"), "wrong-password", "wrong-secret-0123456789abcdefghijklmnopqrs",
				"cookie-value-0123456789", "query-code-0123456789"}, e.secrets...)

			// The failures a new operator met with no line at all.
			fails := []struct {
				name   string
				r      response
				code   string
				client string
			}{
				{"unknown client", e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "nobody", "wrong-secret-0123456789abcdefghijklmnopqrs"), "invalid_client", "nobody"},
				{"wrong secret", e.refreshGrant("app", "wrong-secret-0123456789abcdefghijklmnopqrs", rt), "invalid_client", "app"},
				{"no credentials", e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "", ""), "invalid_client", ""},
				{"wrong method", e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "client_secret": {secretApp}, "refresh_token": {rt}}, "", ""), "invalid_client", "app"},
				{"bad refresh token", e.refreshGrant("app", secretApp, "not-a-token-"+rt[:8]), "invalid_grant", "app"},
				{"no grant type", e.post("/connect/token", url.Values{"refresh_token": {rt}}, "app", secretApp), "invalid_request", "app"},
				{"wrong password", e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong-password"}, "scope": {"openid"}}, "app", secretApp), "invalid_grant", "app"},
			}
			// Tokens in a header, a query and a body, and a cookie.
			req, _ := http.NewRequest(http.MethodGet, e.issuer+"/connect/userinfo?access_token="+url.QueryEscape(at)+"&code=query-code-0123456789", nil)
			req.Header.Set("Authorization", "Bearer "+at)
			req.Header.Set("Cookie", "tollgate_session=cookie-value-0123456789")
			e.do(req)
			e.post("/connect/revocation", url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}, "app", secretApp)
			e.post("/connect/introspect", url.Values{"token": {at}}, "app", secretApp)

			logs := e.logs.String()
			lines := logLines(t, format, logs)
			for _, f := range fails {
				if f.r.str("error") != f.code {
					t.Fatalf("%s: answered %d %s, want %s", f.name, f.r.Status, f.r.Raw, f.code)
				}
				id := f.r.Header.Get("X-Request-Id")
				if id == "" {
					t.Fatalf("%s: no X-Request-Id", f.name)
				}
				var errLine, access map[string]string
				for _, l := range lines {
					if l["request_id"] != id {
						continue
					}
					switch {
					case l["msg"] == "request":
						access = l
					case l["error"] == f.code:
						errLine = l
					}
				}
				if errLine == nil {
					t.Errorf("%s: no line with error=%s and request_id=%s", f.name, f.code, id)
					continue
				}
				if errLine["level"] != "INFO" || errLine["client_id"] != f.client || errLine["description"] == "" {
					t.Errorf("%s: error line %v, want level INFO, client_id %q and a description", f.name, errLine, f.client)
				}
				if access == nil || access["status"] != strconv.Itoa(f.r.Status) || access["path"] != "/connect/token" || access["method"] != "POST" {
					t.Errorf("%s: access line %v, want POST /connect/token %d", f.name, access, f.r.Status)
				}
			}
			// The operator can tell an unknown client from a wrong secret,
			// though the client cannot.
			if !strings.Contains(logs, "no client has this id") || !strings.Contains(logs, "the secret does not match") {
				t.Errorf("invalid_client lines lack their internal reason:\n%s", logs)
			}
			for _, s := range secrets {
				if s != "" && strings.Contains(logs, s) {
					t.Fatalf("the log contains a secret value %q:\n%s", s, logs)
				}
			}
		})
	}
}

// logLines reads every line as flat string attributes: JSON objects, or
// slog's key=value text.
func logLines(t *testing.T, format, logs string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		m := map[string]string{}
		if format == "json" {
			var raw map[string]any
			if err := json.Unmarshal([]byte(line), &raw); err != nil {
				t.Fatalf("log_format json wrote a line that is not JSON: %q", line)
			}
			for k, v := range raw {
				switch v := v.(type) {
				case string:
					m[k] = v
				case float64:
					m[k] = strconv.Itoa(int(v))
				}
			}
		} else {
			for _, kv := range splitText(line) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					m[k] = strings.Trim(v, `"`)
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// splitText splits a text-handler line at spaces outside quotes.
func splitText(line string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && quoted && i+1 < len(line):
			cur.WriteByte(c)
			i++
			cur.WriteByte(line[i])
		case c == '"':
			quoted = !quoted
			cur.WriteByte(c)
		case c == ' ' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

// The browser's authorization request names its client in its access
// line, as the back-channel endpoints do, once the client is known; an
// unknown one is not written there as if it were.
func TestAuthorizeAccessLineNamesTheClient(t *testing.T) {
	e := startWith(t, func(c *config.Config) { c.LogFormat = "json" })
	_, challenge := pkce()
	q := url.Values{"client_id": {"app"}, "response_type": {"code"}, "redirect_uri": {"https://app.example/cb"},
		"scope": {"openid"}, "state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	known := e.browser().do("GET", "/connect/authorize?"+q.Encode(), nil)
	q.Set("client_id", "nobody")
	unknown := e.browser().do("GET", "/connect/authorize?"+q.Encode(), nil)
	for _, c := range []struct {
		p      page
		client string
	}{{known, "app"}, {unknown, ""}} {
		id := c.p.Header.Get("X-Request-Id")
		var access map[string]string
		for _, l := range logLines(t, "json", e.logs.String()) {
			if l["request_id"] == id && l["msg"] == "request" {
				access = l
			}
		}
		if id == "" || access == nil || access["path"] != "/connect/authorize" || access["client_id"] != c.client {
			t.Errorf("authorize (%d) access line %v, want client_id %q", c.p.Status, access, c.client)
		}
	}
}
