package web

import (
	"crypto/sha256"
	"encoding/base64"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

type samplePage struct {
	name   string
	status int
	script bool
	render func(w http.ResponseWriter) error
}

// samples renders every page with ordinary data in one language.
func samples(r *Renderer, l Lang) []samplePage {
	hidden := map[string]string{"request_id": "rq1", "csrf": "tok"}
	return []samplePage{
		{"login", 200, false, func(w http.ResponseWriter) error {
			return r.Login(w, LoginPage{Lang: l, ClientName: "Journal", Action: "/login", Hidden: hidden})
		}},
		{"login-failed", 200, false, func(w http.ResponseWriter) error {
			return r.Login(w, LoginPage{Lang: l, Action: "/login", Hidden: hidden, Username: "kari", Failed: true})
		}},
		{"consent", 200, false, func(w http.ResponseWriter) error {
			return r.Consent(w, ConsentPage{Lang: l, ClientName: "Journal", ClientID: "journal", Username: "kari", Action: "/consent",
				Hidden: hidden, Scopes: []string{"openid", "profile", "offline_access", "api:read"}, Offline: true,
				RedirectURI: "https://journal.example/cb"})
		}},
		{"error", 400, false, func(w http.ResponseWriter) error {
			return r.Error(w, 400, ErrorPage{Lang: l, Code: "invalid_request", Message: "redirect_uri not registered"})
		}},
		{"logout", 200, false, func(w http.ResponseWriter) error {
			return r.LogoutConfirm(w, LogoutPage{Lang: l, Action: "/logout", Hidden: hidden, ClientName: "Journal"})
		}},
		{"loggedout", 200, false, func(w http.ResponseWriter) error {
			return r.LoggedOut(w, LoggedOutPage{Lang: l, ClientName: "Journal", RedirectURI: "https://journal.example/"})
		}},
		{"formpost", 200, true, func(w http.ResponseWriter) error {
			return r.FormPost(w, FormPostPage{Lang: l, Action: "https://journal.example/cb", Params: map[string]string{"code": "c", "state": "s"}})
		}},
		{"account", 200, false, func(w http.ResponseWriter) error { return r.Account(w, sampleAccount(l)) }}, // account_test.go
		{"accountout", 200, false, func(w http.ResponseWriter) error {
			return r.AccountSignedOut(w, AccountSignedOutPage{Lang: l, AccountURL: "/account", EndSession: "/connect/endsession"})
		}},
		{"unavailable", 503, false, func(w http.ResponseWriter) error {
			return r.Unavailable(w, UnavailablePage{Lang: l, RetryAfter: 3, RetryURL: "/connect/authorize?client_id=journal"})
		}},
	}
}

func parseCSP(h string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(h, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = strings.TrimSpace(value)
		}
	}
	return out
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// between is the raw text between open and close; hashes are of exact bytes.
func between(t *testing.T, body, open, close string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, open)
	if !ok {
		t.Fatalf("no %s in page", open)
	}
	inner, _, ok := strings.Cut(rest, close)
	if !ok {
		t.Fatalf("no %s in page", close)
	}
	return inner
}

// TestEveryPage checks what every page must have, in both languages.
func TestEveryPage(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		for _, s := range samples(r, l) {
			t.Run(s.name+"."+string(l), func(t *testing.T) {
				p := renderPage(t, s.render)
				if p.status != s.status {
					t.Errorf("status %d, want %d", p.status, s.status)
				}
				for k, v := range map[string]string{
					"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Frame-Options": "DENY",
				} {
					if got := p.header.Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				csp := parseCSP(p.header.Get("Content-Security-Policy"))
				for k, v := range map[string]string{
					"default-src": "'none'", "img-src": "data:", "frame-ancestors": "'none'", "base-uri": "'none'",
				} {
					if csp[k] != v {
						t.Errorf("CSP %s = %q, want %q", k, csp[k], v)
					}
				}
				if got := sha(between(t, p.body, "<style>", "</style>")); csp["style-src"] != got {
					t.Errorf("CSP style-src %q does not match the inline style's hash %s", csp["style-src"], got)
				}
				if len(p.find("style")) != 1 {
					t.Errorf("want one <style>, found %d", len(p.find("style")))
				}
				scripts := p.find("script")
				if s.script {
					if len(scripts) != 1 || csp["script-src"] != sha(between(t, p.body, "<script>", "</script>")) {
						t.Errorf("want one script allowed by its hash; CSP script-src %q", csp["script-src"])
					}
				} else if len(scripts) != 0 || csp["script-src"] != "" || strings.Contains(strings.ToLower(p.body), "<script") {
					t.Errorf("page has script (%d elements, script-src %q)", len(scripts), csp["script-src"])
				}
				if !s.script && csp["form-action"] == "" {
					t.Error("no form-action")
				}
				for _, e := range p.els {
					for a, v := range e.Attr {
						if strings.HasPrefix(a, "on") || a == "style" || a == "src" || strings.HasPrefix(strings.ToLower(v), "javascript:") {
							t.Errorf("<%s %s=%q>: no inline handlers, style attributes, or loaded resources", e.Name, a, v)
						}
					}
				}
				if got := p.one(t, "html").Attr["lang"]; got != string(l) {
					t.Errorf("<html lang=%q>, want %q", got, l)
				}
				if h1 := p.one(t, "h1"); h1.Text == "" {
					t.Error("empty <h1>")
				}
				if p.one(t, "title").Text == "" || p.one(t, "meta", "name", "viewport") == nil {
					t.Error("no title")
				}
				for _, f := range p.find("form") {
					if f.Attr["method"] != "post" || f.Attr["action"] == "" {
						t.Errorf("form %v: want method=post and an action", f.Attr)
					}
				}
			})
		}
	}
}

// An unknown language renders in English rather than failing.
func TestUnknownLangIsEnglish(t *testing.T) {
	r := newTestRenderer(t)
	p := renderPage(t, func(w http.ResponseWriter) error { return r.Login(w, LoginPage{Lang: "de", Action: "/l"}) })
	if p.one(t, "html").Attr["lang"] != "en" || p.one(t, "h1").Text != "Sign in" {
		t.Errorf("lang %q h1 %q", p.one(t, "html").Attr["lang"], p.one(t, "h1").Text)
	}
}

func TestStyleSmall(t *testing.T) {
	if n := strings.Count(styleCSS, "\n"); n > 150 {
		t.Errorf("style.css has %d lines, keep it under 150", n)
	}
}

// TestContrast reads the colour variables of style.css, light and dark, and
// checks WCAG 2.x contrast: 4.5:1 for text, 3:1 for the focus ring and field
// borders (non-text, SC 1.4.11).
func TestContrast(t *testing.T) {
	light, dark, ok := strings.Cut(styleCSS, "prefers-color-scheme: dark")
	if !ok {
		t.Fatal("no dark scheme block")
	}
	vars := regexp.MustCompile(`--([a-z-]+):\s*#([0-9a-f]{6})`)
	read := func(css string, into map[string]string) {
		for _, m := range vars.FindAllStringSubmatch(css, -1) {
			into[m[1]] = m[2]
		}
	}
	lightVars := map[string]string{}
	read(light, lightVars)
	darkVars := map[string]string{}
	for k, v := range lightVars {
		darkVars[k] = v
	}
	read(dark, darkVars)
	pairs := []struct {
		fg, bg string
		min    float64
	}{
		{"text", "card", 4.5}, {"text", "bg", 4.5}, {"muted", "card", 4.5}, {"muted", "bg", 4.5},
		{"brand", "card", 4.5}, {"on-brand", "brand", 4.5}, {"on-brand", "brand-hover", 4.5},
		{"brand", "note-bg", 4.5}, {"text", "field", 4.5}, {"err", "err-bg", 4.5}, {"note", "note-bg", 4.5},
		{"text", "note-bg", 4.5}, {"focus", "card", 3}, {"field-line", "field", 3},
	}
	for name, vs := range map[string]map[string]string{"light": lightVars, "dark": darkVars} {
		for _, pr := range pairs {
			fg, bg := vs[pr.fg], vs[pr.bg]
			if fg == "" || bg == "" {
				t.Fatalf("%s: missing --%s or --%s", name, pr.fg, pr.bg)
			}
			if c := contrast(fg, bg); c < pr.min {
				t.Errorf("%s: --%s on --%s contrast %.2f, want >= %.1f", name, pr.fg, pr.bg, c, pr.min)
			}
		}
	}
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var ch [3]float64
	for i := range ch {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			ch[i] = c / 12.92
		} else {
			ch[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}
