package authorize_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// TestParseClientPolicy: every failure before the redirect URI is trusted is
// a PageError (shown to the user, never redirected, RFC 6749 §4.1.2.1),
// whose message names the problem.
func TestParseClientPolicy(t *testing.T) {
	cfg := polConfig(t)
	cases := []struct {
		name     string
		query    string
		wantCode string // "" for success
		wantMsg  []string
		wantURI  string
	}{
		{"missing client_id", "redirect_uri=" + polWebCB, oautherr.InvalidRequest, []string{"client_id", "missing"}, ""},
		{"empty client_id", "client_id=&redirect_uri=" + polWebCB, oautherr.InvalidRequest, []string{"client_id", "missing"}, ""},
		{"unknown client", "client_id=nope&redirect_uri=" + polWebCB, oautherr.InvalidClient, []string{`"nope"`}, ""},
		{"client without authorization_code", "client_id=m2m&redirect_uri=" + polWebCB, oautherr.UnauthorizedClient,
			[]string{`"m2m"`, "authorization code"}, ""},
		{"missing redirect_uri", "client_id=web", oautherr.InvalidRequest, []string{"redirect_uri", "missing"}, ""},
		{"empty redirect_uri", "client_id=web&redirect_uri=", oautherr.InvalidRequest, []string{"redirect_uri", "missing"}, ""},
		{"trailing slash", "client_id=web&redirect_uri=https://app.example.com/cb/", oautherr.InvalidRequest,
			[]string{"https://app.example.com/cb/", "not registered"}, ""},
		{"host case differs", "client_id=web&redirect_uri=https://APP.example.com/cb", oautherr.InvalidRequest,
			[]string{"not registered"}, ""},
		{"path case differs", "client_id=web&redirect_uri=https://app.example.com/CB", oautherr.InvalidRequest,
			[]string{"not registered"}, ""},
		{"extra query", "client_id=web&redirect_uri=" + url.QueryEscape("https://app.example.com/cb?x=1"), oautherr.InvalidRequest,
			[]string{"not registered"}, ""},
		{"registered query changed", "client_id=web&redirect_uri=" + url.QueryEscape("https://app.example.com/cb2?tenant=b"),
			oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"registered query dropped", "client_id=web&redirect_uri=https://app.example.com/cb2", oautherr.InvalidRequest,
			[]string{"not registered"}, ""},
		{"http instead of https", "client_id=web&redirect_uri=http://app.example.com/cb", oautherr.InvalidRequest,
			[]string{"not registered"}, ""},
		{"explicit default port", "client_id=web&redirect_uri=https://app.example.com:443/cb", oautherr.InvalidRequest,
			[]string{"not registered"}, ""},
		{"another client's uri", "client_id=web&redirect_uri=" + polSPACB, oautherr.InvalidRequest,
			[]string{"not registered", `"web"`}, ""},
		{"repeated client_id", "client_id=web&client_id=spa&redirect_uri=" + polWebCB, oautherr.InvalidRequest,
			[]string{"client_id", "repeated"}, ""},
		{"repeated client_id same value", "client_id=web&client_id=web&redirect_uri=" + polWebCB, oautherr.InvalidRequest,
			[]string{"client_id", "repeated"}, ""},
		{"repeated redirect_uri", "client_id=web&redirect_uri=" + polWebCB + "&redirect_uri=" + polWebCB,
			oautherr.InvalidRequest, []string{"redirect_uri", "repeated"}, ""},
		{"success", "client_id=web&redirect_uri=" + polWebCB, "", nil, polWebCB},
		{"success with registered query", "client_id=web&redirect_uri=" + url.QueryEscape(polWebCBQ), "", nil, polWebCBQ},
		{"success public client", "client_id=spa&redirect_uri=" + polSPACB, "", nil, polSPACB},
		// RFC 8252 §7.3: any port for a loopback IP redirect URI, and nothing else looser.
		{"loopback any port", "client_id=native&redirect_uri=" + url.QueryEscape("http://127.0.0.1:53123/cb"), "", nil, "http://127.0.0.1:53123/cb"},
		{"loopback registered port", "client_id=native&redirect_uri=" + url.QueryEscape("http://127.0.0.1/cb"), "", nil, "http://127.0.0.1/cb"},
		{"loopback v6 any port", "client_id=native&redirect_uri=" + url.QueryEscape("http://[::1]:8123/v6cb"), "", nil, "http://[::1]:8123/v6cb"},
		{"loopback other path", "client_id=native&redirect_uri=" + url.QueryEscape("http://127.0.0.1:53123/other"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"loopback with query", "client_id=native&redirect_uri=" + url.QueryEscape("http://127.0.0.1:53123/cb?x=1"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"loopback https", "client_id=native&redirect_uri=" + url.QueryEscape("https://127.0.0.1:53123/cb"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"loopback other host", "client_id=native&redirect_uri=" + url.QueryEscape("http://127.0.0.2:53123/cb"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"loopback v4 for v6", "client_id=native&redirect_uri=" + url.QueryEscape("http://127.0.0.1:8123/v6cb"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"loopback userinfo", "client_id=native&redirect_uri=" + url.QueryEscape("http://evil@127.0.0.1:53123/cb"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"localhost is not loopback IP", "client_id=native&redirect_uri=" + url.QueryEscape("http://localhost:53123/cb"), oautherr.InvalidRequest, []string{"not registered"}, ""},
		{"port not relaxed elsewhere", "client_id=web&redirect_uri=" + url.QueryEscape("https://app.example.com:8443/cb"), oautherr.InvalidRequest, []string{"not registered"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := polQuery(t, tc.query)
			c, uri, perr := authorize.ParseClient(p, cfg)
			if tc.wantCode == "" {
				if perr != nil {
					t.Fatalf("unexpected PageError: %v", perr)
				}
				if c == nil || c.ID != p.Get("client_id") {
					t.Fatalf("client = %+v, want %q", c, p.Get("client_id"))
				}
				if uri != tc.wantURI {
					t.Fatalf("redirect URI = %q, want %q", uri, tc.wantURI)
				}
				return
			}
			if perr == nil {
				t.Fatalf("no error; got client %v, uri %q", c, uri)
			}
			if c != nil || uri != "" {
				t.Errorf("an error must not return the client or URI: %v, %q", c, uri)
			}
			if perr.Code != tc.wantCode {
				t.Errorf("code = %s, want %s (%s)", perr.Code, tc.wantCode, perr.Message)
			}
			for _, w := range tc.wantMsg {
				if !strings.Contains(perr.Message, w) {
					t.Errorf("message %q does not mention %q", perr.Message, w)
				}
			}
			if perr.Error() != perr.Code+": "+perr.Message {
				t.Errorf("Error() = %q", perr.Error())
			}
		})
	}
}
