package authorize_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// polValidateCase is one authorization request against one fixture client.
type polValidateCase struct {
	name   string
	client string
	query  string
	pushed bool
	code   string // wanted oautherr code, "" for success
	check  func(t *testing.T, r authorize.Request)
}

// Helpers that build checks on the validated request.
func polWantType(rt, mode string) func(*testing.T, authorize.Request) {
	return func(t *testing.T, r authorize.Request) {
		t.Helper()
		if r.ResponseType != rt || r.ResponseMode != mode {
			t.Fatalf("response_type/mode = %q/%q, want %q/%q", r.ResponseType, r.ResponseMode, rt, mode)
		}
	}
}

func polWantScopes(s ...string) func(*testing.T, authorize.Request) {
	return func(t *testing.T, r authorize.Request) {
		t.Helper()
		if !slices.Equal(r.Scopes, s) {
			t.Fatalf("scopes = %q, want %q", r.Scopes, s)
		}
	}
}

func polWantPrompt(p ...string) func(*testing.T, authorize.Request) {
	return func(t *testing.T, r authorize.Request) {
		t.Helper()
		if !slices.Equal(r.Prompt, p) {
			t.Fatalf("prompt = %q, want %q", r.Prompt, p)
		}
	}
}

func polWantMaxAge(n int) func(*testing.T, authorize.Request) {
	return func(t *testing.T, r authorize.Request) {
		t.Helper()
		if r.MaxAge != n {
			t.Fatalf("max_age = %d, want %d", r.MaxAge, n)
		}
	}
}

const (
	polPKCE   = "&code_challenge=" + polChallenge + "&code_challenge_method=S256"
	polHybrid = "&scope=openid&nonce=n-1"
)

func TestValidatePolicy(t *testing.T) {
	ir, usrt, uc := oautherr.InvalidRequest, oautherr.UnsupportedResponseType, oautherr.UnauthorizedClient
	is := oautherr.InvalidScope
	cases := []polValidateCase{
		// Request-level rules.
		{"repeated parameter", "web", "response_type=code&state=a&state=b", false, ir, nil},
		{"repeated scope", "web", "response_type=code&scope=openid&scope=profile", false, ir, nil},
		{"request object", "web", "response_type=code&request=eyJhbGciOiJub25lIn0.e30.", false, "request_not_supported", nil},
		{"require_par not pushed", "par", "response_type=code", false, ir, nil},
		{"require_par pushed", "par", "response_type=code", true, "", func(t *testing.T, r authorize.Request) {
			if !r.Pushed {
				t.Fatal("Pushed not recorded")
			}
		}},
		{"not pushed recorded", "web", "response_type=code", false, "", func(t *testing.T, r authorize.Request) {
			if r.Pushed {
				t.Fatal("Pushed set for a direct request")
			}
		}},

		// response_type.
		{"response_type missing", "web", "scope=openid", false, ir, nil},
		{"response_type blank", "web", "response_type=+", false, ir, nil},
		{"response_type token (implicit)", "web", "response_type=token", false, usrt, nil},
		{"response_type id_token (implicit)", "web", "response_type=id_token" + polHybrid, false, usrt, nil},
		{"response_type id_token token", "web", "response_type=id_token+token" + polHybrid, false, usrt, nil},
		{"response_type none", "web", "response_type=none", false, usrt, nil},
		{"response_type unknown", "web", "response_type=device", false, usrt, nil},
		{"response_type code code", "web", "response_type=code+code", false, usrt, nil},
		{"response_type case", "web", "response_type=CODE", false, usrt, nil},
		{"unregistered hybrid", "pkce", "response_type=code+id_token" + polHybrid + polPKCE, false, uc, nil},
		{"unregistered code token", "spa", "response_type=code+token" + polPKCE, false, uc, nil},
		{"order id_token code", "web", "response_type=id_token+code" + polHybrid, false, "", polWantType("code id_token", "fragment")},
		{"order token code", "web", "response_type=token+code", false, "", polWantType("code token", "fragment")},
		{"order token id_token code", "web", "response_type=token+id_token+code" + polHybrid, false, "",
			polWantType("code id_token token", "fragment")},
		{"extra spaces", "web", "response_type=++code++id_token+" + polHybrid, false, "", polWantType("code id_token", "fragment")},

		// response_mode.
		{"code defaults to query", "web", "response_type=code", false, "", polWantType("code", "query")},
		{"code query", "web", "response_type=code&response_mode=query", false, "", polWantType("code", "query")},
		{"code fragment", "web", "response_type=code&response_mode=fragment", false, "", polWantType("code", "fragment")},
		{"code form_post", "web", "response_type=code&response_mode=form_post", false, "", polWantType("code", "form_post")},
		{"hybrid defaults to fragment", "web", "response_type=code+id_token+token" + polHybrid, false, "",
			polWantType("code id_token token", "fragment")},
		{"query refused for code id_token", "web", "response_type=code+id_token&response_mode=query" + polHybrid, false, ir, nil},
		{"query refused for code token", "web", "response_type=code+token&response_mode=query", false, ir, nil},
		{"query refused for code id_token token", "web", "response_type=code+id_token+token&response_mode=query" + polHybrid, false, ir, nil},
		{"hybrid form_post", "web", "response_type=code+token&response_mode=form_post", false, "", polWantType("code token", "form_post")},
		{"unknown mode", "web", "response_type=code&response_mode=web_message", false, ir, nil},
		{"mode case", "web", "response_type=code&response_mode=Query", false, ir, nil},

		// scope.
		{"unregistered scope", "web", "response_type=code&scope=openid+admin", false, is, nil},
		{"offline from confidential without allow", "web-nooffline", "response_type=code&scope=openid+offline_access", false, is, nil},
		{"offline from confidential with allow", "web", "response_type=code&scope=openid+offline_access", false, "",
			polWantScopes("openid", "offline_access")},
		{"offline from public dropped", "spa", "response_type=code&scope=openid+offline_access" + polPKCE, false, "",
			polWantScopes("openid")},
		{"absent scope: client's minus offline", "web", "response_type=code", false, "", polWantScopes("openid", "profile", "email")},
		{"absent scope public", "spa", "response_type=code" + polPKCE, false, "", polWantScopes("openid", "profile")},
		{"empty scope stays empty", "web", "response_type=code&scope=", false, "", polWantScopes()},
		{"duplicate scopes collapsed", "web", "response_type=code&scope=profile+openid+profile", false, "",
			polWantScopes("profile", "openid")},

		// ID token types: openid and nonce.
		{"hybrid without openid", "web", "response_type=code+id_token&scope=profile&nonce=n", false, is, nil},
		{"hybrid absent scope has openid", "web", "response_type=code+id_token&nonce=n", false, "", polWantScopes("openid", "profile", "email")},
		{"hybrid without nonce", "web", "response_type=code+id_token&scope=openid", false, ir, nil},
		{"hybrid token without nonce", "web", "response_type=code+id_token+token&scope=openid", false, ir, nil},
		{"code token needs no nonce", "web", "response_type=code+token&scope=profile", false, "", polWantScopes("profile")},
		{"code needs no openid", "web", "response_type=code&scope=profile", false, "", polWantScopes("profile")},
		{"nonce kept", "web", "response_type=code+id_token" + polHybrid, false, "", func(t *testing.T, r authorize.Request) {
			if r.Nonce != "n-1" {
				t.Fatalf("nonce = %q", r.Nonce)
			}
		}},

		// PKCE.
		{"public without PKCE", "spa", "response_type=code", false, ir, nil},
		{"require_pkce without PKCE", "pkce", "response_type=code", false, ir, nil},
		{"confidential without PKCE", "web", "response_type=code", false, "", func(t *testing.T, r authorize.Request) {
			if r.CodeChallenge != "" || r.CodeChallengeMethod != "" {
				t.Fatalf("challenge %q/%q", r.CodeChallenge, r.CodeChallengeMethod)
			}
		}},
		{"plain refused", "spa", "response_type=code&code_challenge_method=plain&code_challenge=" + polChallenge, false, ir, nil},
		{"challenge without method", "spa", "response_type=code&code_challenge=" + polChallenge, false, ir, nil},
		{"method lower case", "spa", "response_type=code&code_challenge_method=s256&code_challenge=" + polChallenge, false, ir, nil},
		{"method without challenge", "web", "response_type=code&code_challenge_method=S256", false, ir, nil},
		{"method without challenge public", "spa", "response_type=code&code_challenge_method=S256", false, ir, nil},
		{"challenge 42 chars", "spa", "response_type=code&code_challenge_method=S256&code_challenge=" + polChallenge[:42], false, ir, nil},
		{"challenge 44 chars", "spa", "response_type=code&code_challenge_method=S256&code_challenge=" + polChallenge + "A", false, ir, nil},
		{"challenge padded", "spa", "response_type=code&code_challenge_method=S256&code_challenge=" + polChallenge[:42] + "%3D", false, ir, nil},
		{"challenge std base64", "spa", "response_type=code&code_challenge_method=S256&code_challenge=" + polChallenge[:42] + "%2B", false, ir, nil},
		{"challenge slash", "spa", "response_type=code&code_challenge_method=S256&code_challenge=" + polChallenge[:42] + "%2F", false, ir, nil},
		{"challenge non-ascii", "spa", "response_type=code&code_challenge_method=S256&code_challenge=" + polChallenge[:41] + "%C3%A9", false, ir, nil},
		{"valid S256 kept", "spa", "response_type=code" + polPKCE, false, "", func(t *testing.T, r authorize.Request) {
			if r.CodeChallenge != polChallenge || r.CodeChallengeMethod != "S256" {
				t.Fatalf("challenge %q/%q", r.CodeChallenge, r.CodeChallengeMethod)
			}
		}},
		{"valid S256 require_pkce", "pkce", "response_type=code" + polPKCE, false, "", nil},
		{"valid S256 optional", "web", "response_type=code" + polPKCE, false, "", nil},

		// prompt.
		{"no prompt", "web", "response_type=code", false, "", polWantPrompt()},
		{"prompt none", "web", "response_type=code&prompt=none", false, "", polWantPrompt("none")},
		{"prompt none twice", "web", "response_type=code&prompt=none+none", false, "", polWantPrompt("none")},
		{"prompt none login", "web", "response_type=code&prompt=none+login", false, ir, nil},
		{"prompt consent none", "web", "response_type=code&prompt=consent+none", false, ir, nil},
		{"prompt login consent", "web", "response_type=code&prompt=login+consent", false, "", polWantPrompt("login", "consent")},
		{"prompt duplicates collapsed", "web", "response_type=code&prompt=consent+login+consent+login", false, "",
			polWantPrompt("consent", "login")},
		{"prompt select_account", "web", "response_type=code&prompt=select_account", false, ir, nil},
		{"prompt login select_account", "web", "response_type=code&prompt=login+select_account", false, ir, nil},
		{"prompt unknown", "web", "response_type=code&prompt=always", false, ir, nil},
		{"prompt case", "web", "response_type=code&prompt=Login", false, ir, nil},

		// max_age.
		{"max_age absent", "web", "response_type=code", false, "", polWantMaxAge(-1)},
		{"max_age 0 kept", "web", "response_type=code&max_age=0", false, "", polWantMaxAge(0)},
		{"max_age 3600", "web", "response_type=code&max_age=3600", false, "", polWantMaxAge(3600)},
		{"max_age negative", "web", "response_type=code&max_age=-1", false, ir, nil},
		{"max_age not a number", "web", "response_type=code&max_age=soon", false, ir, nil},
		{"max_age fraction", "web", "response_type=code&max_age=1.5", false, ir, nil},
		{"max_age with unit", "web", "response_type=code&max_age=60s", false, ir, nil},
		{"max_age too big for int", "web", "response_type=code&max_age=99999999999999999999", false, ir, nil},
		// A browser cannot POST to a native app's private-use scheme.
		{"form_post to a native scheme", "native", "response_type=code&response_mode=form_post" + polPKCE, false, ir, nil},
		{"query to a native scheme", "native", "response_type=code" + polPKCE, false, "", polWantType("code", "query")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := polClient(t, tc.client)
			uri := c.RedirectURIs[0]
			r, err := authorize.Validate(polQuery(t, tc.query), c, uri, tc.pushed)
			polWantErr(t, err, tc.code)
			if tc.code != "" {
				return
			}
			if r.ClientID != c.ID || r.RedirectURI != uri {
				t.Fatalf("client/uri = %q/%q, want %q/%q", r.ClientID, r.RedirectURI, c.ID, uri)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestValidateCarriesPolicy: what the later steps and the error redirect
// need is copied over, including the state of a refused request.
func TestValidateCarriesPolicy(t *testing.T) {
	c := polClient(t, "web")
	r, err := authorize.Validate(polQuery(t,
		"response_type=code&state=s%20t&login_hint=alice&ui_locales=nb+en&nonce=n"), c, polWebCBQ, false)
	polWantErr(t, err, "")
	if r.State != "s t" || r.LoginHint != "alice" || r.UILocales != "nb en" || r.Nonce != "n" || r.RedirectURI != polWebCBQ {
		t.Fatalf("request = %+v", r)
	}
	r, err = authorize.Validate(polQuery(t, "response_type=token&state=xyz"), c, polWebCB, false)
	polWantErr(t, err, oautherr.UnsupportedResponseType)
	if r.State != "xyz" || r.RedirectURI != polWebCB {
		t.Fatalf("a refused request lost its state or redirect URI: %+v", r)
	}
	if !strings.Contains(err.Error(), `"token"`) {
		t.Errorf("error %q does not name the response_type", err)
	}
}
