package authorize_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
)

func TestRedirectURLPolicy(t *testing.T) {
	params := url.Values{"code": {"c-1"}, "state": {"a b&c=d"}, "iss": {"https://login.example.com"}}
	const enc = "code=c-1&iss=https%3A%2F%2Flogin.example.com&state=a+b%26c%3Dd"
	cases := []struct {
		name, uri, mode, want string
	}{
		{"query", polWebCB, authorize.ModeQuery, polWebCB + "?" + enc},
		{"query keeps registered query", polWebCBQ, authorize.ModeQuery, polWebCBQ + "&" + enc},
		{"fragment", polWebCB, authorize.ModeFragment, polWebCB + "#" + enc},
		{"fragment keeps registered query", polWebCBQ, authorize.ModeFragment, polWebCBQ + "#" + enc},
		{"custom scheme query", "com.example.app:/cb", authorize.ModeQuery, "com.example.app:/cb?" + enc},
		{"custom scheme fragment", "com.example.app:/cb", authorize.ModeFragment, "com.example.app:/cb#" + enc},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := authorize.RedirectURL(tc.uri, tc.mode, params)
			if got != tc.want {
				t.Fatalf("RedirectURL = %q, want %q", got, tc.want)
			}
			// A client parsing the result finds every parameter, and its own.
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			carrier := u.Query()
			if tc.mode == authorize.ModeFragment {
				// The raw fragment: url.URL.Fragment is already percent-decoded.
				_, frag, _ := strings.Cut(got, "#")
				if carrier, err = url.ParseQuery(frag); err != nil {
					t.Fatal(err)
				}
				if tc.uri == polWebCBQ && (u.Query().Get("tenant") != "a" || u.Query().Has("code")) {
					t.Errorf("fragment mode changed the registered query: %q", u.RawQuery)
				}
			} else if u.Fragment != "" {
				t.Errorf("query mode produced a fragment %q", u.Fragment)
			}
			for k := range params {
				if carrier.Get(k) != params.Get(k) {
					t.Errorf("%s = %q, want %q", k, carrier.Get(k), params.Get(k))
				}
			}
			if tc.uri == polWebCBQ && tc.mode == authorize.ModeQuery && carrier.Get("tenant") != "a" {
				t.Errorf("registered query parameter lost: %q", u.RawQuery)
			}
		})
	}
}

func TestErrorParamsPolicy(t *testing.T) {
	const iss = "https://login.example.com"
	cases := []struct {
		name, code, desc, state string
		want                    url.Values
	}{
		{"everything", "access_denied", "the user refused", "xyz",
			url.Values{"error": {"access_denied"}, "error_description": {"the user refused"}, "state": {"xyz"}, "iss": {iss}}},
		{"no state", "login_required", "sign in first", "",
			url.Values{"error": {"login_required"}, "error_description": {"sign in first"}, "iss": {iss}}},
		{"no description", "server_error", "", "s",
			url.Values{"error": {"server_error"}, "state": {"s"}, "iss": {iss}}},
		{"only code", "invalid_request", "", "",
			url.Values{"error": {"invalid_request"}, "iss": {iss}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := authorize.ErrorParams(tc.code, tc.desc, tc.state, iss)
			if got.Encode() != tc.want.Encode() {
				t.Fatalf("ErrorParams = %v, want %v", got, tc.want)
			}
			if !got.Has("iss") {
				t.Fatal("iss missing (RFC 9207)")
			}
			if got.Has("state") != (tc.state != "") {
				t.Fatalf("state present = %v with state %q", got.Has("state"), tc.state)
			}
		})
	}
	// The two compose: an error redirect to a URI with a query of its own.
	got := authorize.RedirectURL(polWebCBQ, authorize.ModeQuery, authorize.ErrorParams("access_denied", "no", "s", iss))
	want := polWebCBQ + "&error=access_denied&error_description=no&iss=https%3A%2F%2Flogin.example.com&state=s"
	if got != want {
		t.Fatalf("error redirect = %q, want %q", got, want)
	}
}
