package oauth_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/oauth"
)

// push sends app's code request to the PAR endpoint and returns the request_uri.
func (f *fixture) push() string {
	f.t.Helper()
	return f.postAsApp(oauth.PathPAR, codeRequest(), http.StatusCreated, "request_uri")
}

// TestRequestURIWrongClientLeavesItUsable: a request_uri presented with
// another client_id is refused (RFC 9126 §4: the authorization server must
// check the client_id is the pushing client's) without being used up, so
// the client that pushed it can still use it, once.
func TestRequestURIWrongClientLeavesItUsable(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	uri := f.push()
	for _, client := range []string{"other", "spa", "ghost", ""} {
		wantErrorPage(t, b.authorize(url.Values{"client_id": {client}, "request_uri": {uri}}))
	}
	p := b.authorize(url.Values{"client_id": {"app"}, "request_uri": {uri}})
	wantRedirect(t, p, oauth.PathLogin)
	// Single use (RFC 9126 §2.2): the rightful client cannot use it twice.
	wantErrorPage(t, b.authorize(url.Values{"client_id": {"app"}, "request_uri": {uri}}))
}

// TestRequestURIUnknownOrExpired: a request_uri lives 60 seconds (RFC 9126
// §2.2); one never pushed is refused, and so is the handle of a request
// parked for the sign-in pages, which stays usable there.
func TestRequestURIUnknownOrExpired(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	uri := f.push()
	b.signedIn("sub-alice", fxT0)
	_, h := b.parkedAt(codeRequest())
	f.advance(60 * time.Second)
	for _, u := range []string{uri, "urn:ietf:params:oauth:request_uri:nothing", "urn:ietf:params:oauth:request_uri:" + h, h} {
		wantErrorPage(t, b.authorize(url.Values{"client_id": {"app"}, "request_uri": {u}}))
	}
	if p := b.do(http.MethodGet, oauth.PathConsent+"?request="+url.QueryEscape(h), nil); p.Status != http.StatusOK {
		t.Fatalf("the parked request after its handle was tried as a request_uri: %d", p.Status)
	}
}

// TestRepeatedParametersRefused: RFC 6749 §3.1 says request parameters
// must not be included more than once. On the front channel a repeat gets
// an error page, never a redirect: with two client_ids or redirect_uris
// there is no telling where a redirect should go.
func TestRepeatedParametersRefused(t *testing.T) {
	f := newFixture(t)
	b := f.browser()
	b.signedIn("sub-alice", fxT0)
	_, h := b.parkedAt(codeRequest())
	add := func(q url.Values, k, v string) string {
		q = cloneValues(q)
		q.Add(k, v)
		return q.Encode()
	}
	uri := f.push()
	cases := map[string]string{
		"authorize: client_id":    oauth.PathAuthorize + "?" + add(codeRequest(), "client_id", "spa"),
		"authorize: same twice":   oauth.PathAuthorize + "?" + add(codeRequest(), "client_id", "app"),
		"authorize: redirect_uri": oauth.PathAuthorize + "?" + add(codeRequest(), "redirect_uri", "https://other.example.com/cb"),
		"authorize: state":        oauth.PathAuthorize + "?" + add(codeRequest(), "state", "other"),
		"authorize: request_uri": oauth.PathAuthorize + "?" + add(url.Values{"client_id": {"app"}, "request_uri": {uri}},
			"request_uri", "urn:ietf:params:oauth:request_uri:other"),
		"consent":    oauth.PathConsent + "?" + add(url.Values{"request": {h}}, "request", h),
		"resume":     oauth.PathResume + "?" + add(url.Values{"request": {h}}, "request", h),
		"login":      oauth.PathLogin + "?" + add(url.Values{"request": {h}}, "request", h),
		"endsession": oauth.PathEndSession + "?" + add(url.Values{"client_id": {"app"}}, "client_id", "other"),
	}
	for name, target := range cases {
		p := b.do(http.MethodGet, target, nil)
		if p.Status != http.StatusBadRequest || p.Location != "" {
			t.Errorf("%s: got %d Location %q, want an error page", name, p.Status, p.Location)
		}
	}
	// The same by POST (OIDC Core §3.1.2.1 allows POST at the authorization endpoint).
	form := codeRequest()
	form.Add("client_id", "spa")
	wantErrorPage(t, b.do(http.MethodPost, oauth.PathAuthorize, form))
	// The request_uri refused above is still the pushing client's to use.
	wantRedirect(t, b.authorize(url.Values{"client_id": {"app"}, "request_uri": {uri}}), oauth.PathConsent)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
