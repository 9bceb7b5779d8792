package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping HTTP client that stops at every redirect, to
// walk the sign-in pages at the protocol level (the Chromium tests walk
// them as a person does).
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (b *browser) do(method, u string, form url.Values) page {
	b.e.t.Helper()
	if !strings.HasPrefix(u, "http") {
		u = b.e.issuer + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(raw), Header: res.Header}
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hidden returns a page's hidden form fields.
func (p page) hidden() url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.Body, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// flow is how a browser walk answers the pages it meets.
type flow struct {
	Username, Password string
	Consent            string // allow or deny
	Remember           bool
	Seen               []string // paths of the pages shown
}

// walk follows an authorization request through login and consent until
// the browser is sent to a redirect URI outside the server, and returns
// that final location (or the last page when it ends on one).
func (b *browser) walk(authURL string, f *flow) (*url.URL, page) {
	b.e.t.Helper()
	return b.walkFrom(b.do("GET", authURL, nil), f)
}

// walkFrom is walk from a page the browser has been answered with.
func (b *browser) walkFrom(p page, f *flow) (*url.URL, page) {
	b.e.t.Helper()
	for range 10 {
		if p.Status != http.StatusFound && p.Status != http.StatusSeeOther {
			return nil, p
		}
		loc, err := url.Parse(p.Location)
		if err != nil {
			b.e.t.Fatalf("bad Location %q", p.Location)
		}
		if loc.Host != "" && !strings.HasPrefix(p.Location, b.e.issuer) {
			return loc, p
		}
		shown := b.do("GET", p.Location, nil)
		switch {
		case strings.HasPrefix(loc.Path, "/account/login") && shown.Status == 200:
			f.Seen = append(f.Seen, "login")
			form := shown.hidden()
			form.Set("username", f.Username)
			form.Set("password", f.Password)
			p = b.do("POST", "/account/login", form)
			if p.Status == 200 { // a failed sign-in shows the form again
				return nil, p
			}
		case strings.HasPrefix(loc.Path, "/account/consent") && shown.Status == 200:
			f.Seen = append(f.Seen, "consent")
			form := shown.hidden()
			form.Set("consent", f.Consent)
			if f.Remember {
				form.Set("remember", "yes")
			}
			p = b.do("POST", "/account/consent", form)
		default:
			p = shown
		}
	}
	b.e.t.Fatal("too many redirects")
	return nil, p
}

func alice() *flow { return &flow{Username: "alice", Password: alicePW, Consent: "allow"} }

// authURL builds an authorization request.
func (e *env) authURL(params map[string]string) string {
	v := url.Values{}
	for k, val := range params {
		v.Set(k, val)
	}
	return e.issuer + "/connect/authorize?" + v.Encode()
}

func wantParam(t *testing.T, v url.Values, k, want string) {
	t.Helper()
	if got := v.Get(k); got != want {
		t.Fatalf("%s = %q, want %q (all: %v)", k, got, want, v)
	}
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

func fragmentParams(f string) url.Values {
	v, _ := url.ParseQuery(f)
	return v
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
