package clientauth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// request builds a parsed POST like the token endpoint sees it.
func request(t testing.TB, target string, form url.Values, authz ...string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, a := range authz {
		r.Header.Add("Authorization", a)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return r
}

func basicHeader(id, secret string) string {
	// RFC 6749 §2.3.1: form-urlencode, then Basic.
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func TestFromRequest(t *testing.T) {
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	raw := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	ok := []struct {
		name string
		r    *http.Request
		want Credentials
	}{
		{"basic", request(t, "/token", form(), basicHeader("basic", "s3cr3t")), Credentials{Method: config.AuthSecretBasic, ClientID: "basic", Secret: "s3cr3t"}},
		{"basic form-urlencoded", request(t, "/token", form(), basicHeader("app:1 ü", "a:b+c%d")), Credentials{Method: config.AuthSecretBasic, ClientID: "app:1 ü", Secret: "a:b+c%d"}},
		{"basic plus is space", request(t, "/token", form(), raw("my+app:x")), Credentials{Method: config.AuthSecretBasic, ClientID: "my app", Secret: "x"}},
		{"basic lower-case scheme", request(t, "/token", form(), "basic "+base64.StdEncoding.EncodeToString([]byte("a:b"))), Credentials{Method: config.AuthSecretBasic, ClientID: "a", Secret: "b"}},
		{"basic with same client_id in body", request(t, "/token", form("client_id", "basic"), basicHeader("basic", "x")), Credentials{Method: config.AuthSecretBasic, ClientID: "basic", Secret: "x"}},
		{"basic empty secret", request(t, "/token", form(), raw("a:")), Credentials{Method: config.AuthSecretBasic, ClientID: "a"}},
		{"post", request(t, "/token", form("client_id", "post", "client_secret", "x")), Credentials{Method: config.AuthSecretPost, ClientID: "post", Secret: "x"}},
		{"none", request(t, "/token", form("client_id", "pub")), Credentials{Method: config.AuthNone, ClientID: "pub"}},
		{"empty client_secret is none", request(t, "/token", form("client_id", "pub", "client_secret", "")), Credentials{Method: config.AuthNone, ClientID: "pub"}},
		{"jwt", request(t, "/token", form("client_assertion_type", AssertionType, "client_assertion", "a.b.c")), Credentials{Method: config.AuthPrivateKeyJWT, AssertionType: AssertionType, Assertion: "a.b.c"}},
		{"jwt with client_id", request(t, "/token", form("client_id", "jwt", "client_assertion_type", AssertionType, "client_assertion", "a.b.c")), Credentials{Method: config.AuthPrivateKeyJWT, ClientID: "jwt", AssertionType: AssertionType, Assertion: "a.b.c"}},
		{"nothing", request(t, "/token", form()), Credentials{}},
		{"harmless query", request(t, "/token?foo=1", form("client_id", "pub")), Credentials{Method: config.AuthNone, ClientID: "pub"}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromRequest(tc.r)
			if err != nil {
				t.Fatalf("FromRequest: %v", err)
			}
			if got != tc.want {
				t.Fatalf("FromRequest = %#v, want %#v", got, tc.want)
			}
		})
	}

	bad := []struct {
		name string
		r    *http.Request
		code string
		frag string
	}{
		{"basic and client_secret", request(t, "/token", form("client_id", "basic", "client_secret", "x"), basicHeader("basic", "x")), oautherr.InvalidRequest, "use exactly one client authentication method"},
		{"basic and assertion", request(t, "/token", form("client_assertion_type", AssertionType, "client_assertion", "a.b.c"), basicHeader("basic", "x")), oautherr.InvalidRequest, "exactly one"},
		{"post and assertion", request(t, "/token", form("client_id", "x", "client_secret", "x", "client_assertion_type", AssertionType, "client_assertion", "a.b.c")), oautherr.InvalidRequest, "client_secret in the body and client_assertion"},
		{"basic id differs from body", request(t, "/token", form("client_id", "other"), basicHeader("basic", "x")), oautherr.InvalidRequest, "differs"},
		{"basic bad base64", request(t, "/token", form(), "Basic !!!notbase64"), oautherr.InvalidClient, "not valid base64"},
		{"basic no colon", request(t, "/token", form(), raw("justanid")), oautherr.InvalidClient, `no ":"`},
		{"basic bad escape", request(t, "/token", form(), raw("id:100%")), oautherr.InvalidClient, "form-urlencoded"},
		{"basic empty id", request(t, "/token", form(), raw(":secret")), oautherr.InvalidClient, "empty client id"},
		{"bearer scheme", request(t, "/token", form(), "Bearer abc"), oautherr.InvalidClient, `"Bearer" is not supported`},
		{"two authorization headers", request(t, "/token", form(), basicHeader("a", "b"), basicHeader("a", "b")), oautherr.InvalidRequest, "more than one Authorization"},
		{"secret in query", request(t, "/token?client_secret=x", form("client_id", "post")), oautherr.InvalidRequest, "never in the URL"},
		{"assertion in query", request(t, "/token?client_assertion=x", form()), oautherr.InvalidRequest, "never in the URL"},
		{"repeated client_id", request(t, "/token", form("client_id", "a", "client_id", "b")), oautherr.InvalidRequest, "client_id is repeated"},
		{"secret without id", request(t, "/token", form("client_secret", "x")), oautherr.InvalidRequest, "needs client_id"},
		{"assertion without type", request(t, "/token", form("client_assertion", "a.b.c")), oautherr.InvalidRequest, "client_assertion_type"},
		{"type without assertion", request(t, "/token", form("client_assertion_type", AssertionType)), oautherr.InvalidRequest, "client_assertion is missing"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromRequest(tc.r)
			wantErr(t, err, tc.code, tc.frag)
		})
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	c := Credentials{Method: config.AuthSecretBasic, ClientID: "basic", Secret: "topsecret", Assertion: "eyJ.topsecret.x"}
	if s := c.String(); strings.Contains(s, "topsecret") {
		t.Errorf("String() = %q", s)
	}
	if s := c.LogValue().String(); strings.Contains(s, "topsecret") {
		t.Errorf("LogValue() = %q", s)
	}
}
