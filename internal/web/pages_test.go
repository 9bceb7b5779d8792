package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLoginForm(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		for _, prefill := range []string{"", "kari"} {
			p := renderPage(t, func(w http.ResponseWriter) error {
				return r.Login(w, LoginPage{Lang: l, ClientName: "Journal", Action: "/login?x=1",
					Hidden: map[string]string{"z_csrf": "t", "a_request": "r"}, Username: prefill})
			})
			if f := p.one(t, "form"); f.Attr["action"] != "/login?x=1" {
				t.Errorf("action %q", f.Attr["action"])
			}
			user := p.one(t, "input", "name", "username")
			for k, v := range map[string]string{"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false", "id": "username", "value": prefill} {
				if user.Attr[k] != v {
					t.Errorf("%s: username %s=%q, want %q", l, k, user.Attr[k], v)
				}
			}
			pass := p.one(t, "input", "name", "password", "type", "password", "autocomplete", "current-password")
			for _, in := range []*element{user, pass} {
				lbl := p.one(t, "label", "for", in.Attr["id"])
				if lbl.Text == "" || lbl.Order > in.Order {
					t.Errorf("input %s needs a visible label before it", in.Attr["name"])
				}
			}
			if p.one(t, "label", "for", "username").Text != texts[l]["username"] {
				t.Errorf("username label not in %s", l)
			}
			if has(user, "autofocus") == (prefill != "") || has(pass, "autofocus") != (prefill != "") {
				t.Errorf("prefill %q: autofocus on username %v, password %v", prefill, has(user, "autofocus"), has(pass, "autofocus"))
			}
			if len(p.find("button")) != 1 || p.one(t, "button").Attr["type"] != "submit" {
				t.Error("want one submit button")
			}
			hidden := p.find("input", "type", "hidden")
			if len(hidden) != 2 || hidden[0].Attr["name"] != "a_request" || hidden[1].Attr["name"] != "z_csrf" || hidden[1].Attr["value"] != "t" {
				t.Errorf("hidden inputs not carried in sorted order: %v", hidden)
			}
			if len(p.find("p", "role", "alert")) != 0 {
				t.Error("alert shown without a failed attempt")
			}
			if !strings.Contains(p.body, "<strong>Journal</strong>") {
				t.Error("client not named")
			}
		}
	}
}

func TestLoginFailedIsNeutral(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		p := renderPage(t, func(w http.ResponseWriter) error {
			return r.Login(w, LoginPage{Lang: l, Action: "/login", Username: "kari", Failed: true})
		})
		alert := p.one(t, "p", "role", "alert")
		if alert.Text != texts[l]["login_failed"] {
			t.Errorf("%s: alert %q", l, alert.Text)
		}
		if id := alert.Attr["id"]; id == "" || p.one(t, "input", "name", "password").Attr["aria-describedby"] != id {
			t.Error("password not described by the alert")
		}
	}
}

// TestLoginThrottled: a throttled sign-in keeps the form, answers 429 and
// says to wait, in words that do not tell whether the user exists.
func TestLoginThrottled(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		p := renderPage(t, func(w http.ResponseWriter) error {
			return r.Login(w, LoginPage{Lang: l, Action: "/login", Username: "kari", Throttled: true})
		})
		if p.status != http.StatusTooManyRequests {
			t.Errorf("%s: status %d, want 429", l, p.status)
		}
		alert := p.one(t, "p", "role", "alert")
		if alert.Text != texts[l]["login_throttled"] {
			t.Errorf("%s: alert %q", l, alert.Text)
		}
		if pass := p.one(t, "input", "name", "password"); pass.Attr["aria-describedby"] != alert.Attr["id"] {
			t.Error("password not described by the alert")
		}
	}
}

func TestConsentForm(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		for _, offline := range []bool{false, true} {
			p := renderPage(t, func(w http.ResponseWriter) error {
				return r.Consent(w, ConsentPage{Lang: l, ClientName: "Journal Web", ClientID: "journal", Username: "kari",
					Action: "/consent", Hidden: map[string]string{"csrf": "t"},
					Scopes: []string{"openid", "email", "email", "address", "phone", "profile", "offline_access", "api:read"}, Offline: offline})
			})
			if h1 := p.one(t, "h1").Text; !strings.Contains(h1, "Journal Web") {
				t.Errorf("h1 %q does not name the client", h1)
			}
			allow := p.one(t, "button", "name", "consent", "value", "allow", "type", "submit")
			deny := p.one(t, "button", "name", "consent", "value", "deny", "type", "submit")
			if allow.Order > deny.Order || !strings.Contains(allow.Attr["class"], "primary") {
				t.Error("allow must be the first, primary button")
			}
			if allow.Text != texts[l]["allow"] || deny.Text != texts[l]["deny"] {
				t.Errorf("buttons %q %q", allow.Text, deny.Text)
			}
			if box := p.one(t, "input", "type", "checkbox", "name", "remember", "value", "yes"); box == nil {
				t.Error("no remember box")
			}
			if !strings.Contains(p.one(t, "label", "class", "check").Text, texts[l]["remember"]) {
				t.Error("remember box has no label")
			}
			items := p.find("li")
			if len(items) != 7 { // the duplicate email is shown once
				t.Errorf("%d scope items, want 7", len(items))
			}
			for _, s := range []string{"openid", "email", "address", "phone", "profile", "offline_access"} {
				if !strings.Contains(p.body, texts[l]["scope_"+s+"_desc"]) {
					t.Errorf("%s: no description of %s", l, s)
				}
			}
			if !strings.Contains(items[6].Text, "api:read") || !strings.Contains(items[6].Text, texts[l]["scope_other_desc"]) {
				t.Errorf("unknown scope shown as %q", items[6].Text)
			}
			if got := len(p.find("p", "class", "note")); got != map[bool]int{false: 0, true: 1}[offline] {
				t.Errorf("offline %v: %d offline notes", offline, got)
			}
			if offline && !strings.Contains(p.one(t, "p", "class", "note").Text, "Journal Web") {
				t.Error("offline note does not name the client")
			}
			if !strings.Contains(p.body, "kari") || !strings.Contains(p.body, "<code>journal</code>") {
				t.Error("signed-in user or client id missing")
			}
		}
	}
}

func TestConsentWithoutName(t *testing.T) {
	r := newTestRenderer(t)
	p := renderPage(t, func(w http.ResponseWriter) error {
		return r.Consent(w, ConsentPage{Lang: EN, ClientID: "journal", Action: "/c", Scopes: []string{"openid"}})
	})
	if h1 := p.one(t, "h1").Text; h1 != "journal wants access to your account" {
		t.Errorf("h1 %q", h1)
	}
	p = renderPage(t, func(w http.ResponseWriter) error { return r.Consent(w, ConsentPage{Lang: NB, Action: "/c"}) })
	if h1 := p.one(t, "h1").Text; h1 != "En app ber om tilgang til kontoen din" {
		t.Errorf("h1 %q", h1)
	}
}

func TestFormActionAdmitsRedirect(t *testing.T) {
	r := newTestRenderer(t)
	for uri, want := range map[string]string{
		"":                                 "'self'",
		"https://Client.example:8443/cb?x": "'self' https://client.example:8443",
		"http://127.0.0.1:51004/callback":  "'self' http://127.0.0.1:51004",
		"http://[::1]:51004/callback":      "'self' http:",
		"com.example.app:/oauth2redirect":  "'self' com.example.app:",
	} {
		rec := httptest.NewRecorder()
		if err := r.Consent(rec, ConsentPage{Lang: EN, Action: "/c", RedirectURI: uri}); err != nil {
			t.Fatal(err)
		}
		if got := parseCSP(rec.Header().Get("Content-Security-Policy"))["form-action"]; got != want {
			t.Errorf("RedirectURI %q: form-action %q, want %q", uri, got, want)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "/relative", "https://", "data:text/html,x"} {
		rec := httptest.NewRecorder()
		if err := r.Login(rec, LoginPage{Action: "/l", RedirectURI: bad}); err == nil || rec.Body.Len() != 0 {
			t.Errorf("RedirectURI %q accepted", bad)
		}
	}
}

func TestErrorPage(t *testing.T) {
	r := newTestRenderer(t)
	p := renderPage(t, func(w http.ResponseWriter) error {
		return r.Error(w, http.StatusNotFound, ErrorPage{Lang: NB, Code: "invalid_request", Message: `redirect_uri not registered for client "x"`})
	})
	if p.status != 404 || !strings.Contains(p.body, "<code>invalid_request</code>") ||
		!strings.Contains(p.body, "redirect_uri not registered for client &#34;x&#34;") || p.one(t, "h1").Text != "Noe gikk galt" {
		t.Errorf("error page: %d\n%s", p.status, p.body)
	}
	rec := httptest.NewRecorder()
	if err := r.Error(rec, 42, ErrorPage{}); err == nil || rec.Body.Len() != 0 {
		t.Error("a bad status must fail before writing")
	}
}

func TestLogoutPages(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		p := renderPage(t, func(w http.ResponseWriter) error {
			return r.LogoutConfirm(w, LogoutPage{Lang: l, Action: "/logout", Hidden: map[string]string{"csrf": "t"}, ClientName: "Journal"})
		})
		if p.one(t, "h1").Text != texts[l]["logout_title"] || p.one(t, "button", "type", "submit").Text != texts[l]["logout_submit"] {
			t.Errorf("%s: logout confirm %q", l, p.one(t, "h1").Text)
		}
		p.one(t, "input", "type", "hidden", "name", "csrf", "value", "t")

		p = renderPage(t, func(w http.ResponseWriter) error {
			return r.LoggedOut(w, LoggedOutPage{Lang: l, ClientName: "Journal", RedirectURI: "https://journal.example/bye?a=1&b=2"})
		})
		a := p.one(t, "a")
		if a.Attr["href"] != "https://journal.example/bye?a=1&b=2" || a.Text != strings.Replace(texts[l]["return_to"], "{}", "Journal", 1) {
			t.Errorf("%s: return link %v %q", l, a.Attr, a.Text)
		}
		if len(p.find("form")) != 0 || strings.Contains(p.body, "http-equiv") {
			t.Error("logged-out page must not continue by itself")
		}
		p = renderPage(t, func(w http.ResponseWriter) error { return r.LoggedOut(w, LoggedOutPage{Lang: l}) })
		if len(p.find("a")) != 0 || p.one(t, "h1").Text != texts[l]["loggedout_title"] {
			t.Error("no link without a redirect URI")
		}
		p = renderPage(t, func(w http.ResponseWriter) error {
			return r.LoggedOut(w, LoggedOutPage{Lang: l, RedirectURI: "com.example.app:/logged-out"})
		})
		if a := p.one(t, "a"); a.Attr["href"] != "com.example.app:/logged-out" || a.Text != texts[l]["return_app"] {
			t.Errorf("native app link %v %q", a.Attr, a.Text)
		}
	}
	if err := r.LoggedOut(httptest.NewRecorder(), LoggedOutPage{RedirectURI: "javascript:alert(1)"}); err == nil {
		t.Error("javascript: link accepted")
	}
}

func TestFormPost(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		p := renderPage(t, func(w http.ResponseWriter) error {
			return r.FormPost(w, FormPostPage{Lang: l, Action: "https://app.example:8443/cb?x=1",
				Params: map[string]string{"state": "s&1", "code": "abc", "id_token": "h.p.s"}})
		})
		csp := parseCSP(p.header.Get("Content-Security-Policy"))
		if csp["form-action"] != "https://app.example:8443" {
			t.Errorf("form-action %q", csp["form-action"])
		}
		f := p.one(t, "form")
		if f.Attr["action"] != "https://app.example:8443/cb?x=1" || f.Attr["method"] != "post" {
			t.Errorf("form %v", f.Attr)
		}
		hidden := p.find("input", "type", "hidden")
		if len(hidden) != 3 || hidden[0].Attr["name"] != "code" || hidden[2].Attr["name"] != "state" || hidden[2].Attr["value"] != "s&1" {
			t.Errorf("params %v", hidden)
		}
		if b := p.one(t, "button", "type", "submit"); b.Text != texts[l]["continue"] || b.Order < f.Order {
			t.Error("no Continue button inside the form")
		}
		if !strings.Contains(p.one(t, "script").Text, f.Attr["id"]) {
			t.Error("script does not submit the form")
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "com.example.app:/cb", "/cb", ""} {
		rec := httptest.NewRecorder()
		if err := r.FormPost(rec, FormPostPage{Action: bad}); err == nil || rec.Body.Len() != 0 {
			t.Errorf("form post to %q accepted", bad)
		}
	}
}

// Everything a client controls is escaped.
func TestEscapesClientInput(t *testing.T) {
	r := newTestRenderer(t)
	const evil = `<script>alert(1)</script>`
	const escaped = `&lt;script&gt;alert(1)&lt;/script&gt;`
	hidden := map[string]string{evil: evil}
	renders := map[string]func(w http.ResponseWriter) error{
		"login": func(w http.ResponseWriter) error {
			return r.Login(w, LoginPage{ClientName: evil, Action: "/l", Hidden: hidden, Username: evil, Failed: true})
		},
		"consent": func(w http.ResponseWriter) error {
			return r.Consent(w, ConsentPage{ClientName: evil, ClientID: evil, Username: evil, Action: "/c", Hidden: hidden, Scopes: []string{evil}, Offline: true})
		},
		"consent-id": func(w http.ResponseWriter) error {
			return r.Consent(w, ConsentPage{ClientID: evil, Action: "/c"})
		},
		"error": func(w http.ResponseWriter) error {
			return r.Error(w, 400, ErrorPage{Code: evil, Message: evil})
		},
		"logout": func(w http.ResponseWriter) error {
			return r.LogoutConfirm(w, LogoutPage{ClientName: evil, Action: "/o", Hidden: hidden})
		},
		"loggedout": func(w http.ResponseWriter) error {
			return r.LoggedOut(w, LoggedOutPage{ClientName: evil, RedirectURI: `https://app.example/"><script>alert(1)</script>`})
		},
		"formpost": func(w http.ResponseWriter) error {
			return r.FormPost(w, FormPostPage{Action: `https://app.example/cb?"><script>alert(1)</script>`, Params: hidden})
		},
	}
	for name, render := range renders {
		p := renderPage(t, render)
		body := strings.ReplaceAll(p.body, `<script>`+formPostJS+`</script>`, "")
		if strings.Contains(body, "<script>alert") || strings.Contains(body, `"><script`) {
			t.Errorf("%s: client input not escaped:\n%s", name, p.body)
		}
		if !strings.Contains(body, escaped) {
			t.Errorf("%s: escaped client input not shown:\n%s", name, p.body)
		}
	}
}

// TestUnavailablePage: the "try again shortly" page is a 503 with
// Retry-After, in the user's language, that offers to repeat a GET and
// links nowhere but this server.
func TestUnavailablePage(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		p := renderPage(t, func(w http.ResponseWriter) error {
			return r.Unavailable(w, UnavailablePage{Lang: l, RetryAfter: 3, RetryURL: "/tg/connect/authorize?client_id=a&state=x"})
		})
		if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") != "3" || p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: status %d, Retry-After %q, Cache-Control %q", l, p.status, p.header.Get("Retry-After"), p.header.Get("Cache-Control"))
		}
		if p.one(t, "h1").Text != texts[l]["unavailable_title"] {
			t.Errorf("%s: h1 %q", l, p.one(t, "h1").Text)
		}
		if a := p.one(t, "a"); a.Attr["href"] != "/tg/connect/authorize?client_id=a&state=x" || a.Text != texts[l]["try_again"] {
			t.Errorf("%s: retry link %v %q", l, a.Attr, a.Text)
		}
		// After a POST there is no link, only the advice to send again.
		p = renderPage(t, func(w http.ResponseWriter) error { return r.Unavailable(w, UnavailablePage{Lang: l}) })
		if len(p.find("a")) != 0 || !strings.Contains(p.body, texts[l]["unavailable_back"]) || p.header.Get("Retry-After") != "" {
			t.Errorf("%s: page without a retry URL:\n%s", l, p.body)
		}
	}
	for _, bad := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/a\r\nSet-Cookie: x=y"} {
		rec := httptest.NewRecorder()
		if err := r.Unavailable(rec, UnavailablePage{RetryURL: bad}); err == nil || rec.Body.Len() != 0 {
			t.Errorf("retry link %q accepted", bad)
		}
	}
}
