package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func sampleAccount(l Lang) AccountPage {
	t0 := time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC)
	return AccountPage{Lang: l, Username: "Kari Nordmann", Hidden: map[string]string{"csrf": "tok"},
		RemoveAction: "/account/remove", ForgetAction: "/account/forget", SignOutURL: "/account/signout",
		Apps: []AccountApp{
			{GrantID: "g1", Name: "Journal", ClientID: "journal", Scopes: []string{"openid", "profile", "email", "offline_access", "api:read"},
				Granted: t0, LastUsed: t0.Add(time.Hour), From: "192.0.2.7", Session: "a1b2c3d4", ThisBrowser: true},
			{GrantID: "g2", Name: "cli", ClientID: "cli", Scopes: []string{"openid", "offline_access"}, Granted: t0},
		},
		Consents: []AccountConsent{{ClientID: "journal", Name: "Journal", Scopes: []string{"openid", "profile"}, Since: t0}},
		Removed:  "Timebok",
	}
}

// Every control of the account page has a name a screen reader can say,
// the scopes are in words, and what the page says is in the page's language.
func TestAccountPageMarkup(t *testing.T) {
	r := newTestRenderer(t)
	for _, l := range bothLangs {
		p := renderPage(t, func(w http.ResponseWriter) error { return r.Account(w, sampleAccount(l)) })
		if len(p.find("h1")) != 1 || p.one(t, "h1").Text != texts[l]["account_title"] {
			t.Errorf("%s: want one h1 %q", l, texts[l]["account_title"])
		}
		buttons := p.find("button")
		if len(buttons) != 4 { // two removes, one forget, sign out
			t.Fatalf("%s: %d buttons, want 4", l, len(buttons))
		}
		for _, b := range buttons {
			name := b.Attr["aria-label"]
			if name == "" {
				name = b.Text
			}
			if b.Text == "" || !strings.Contains(name, b.Text) || b.Attr["type"] != "submit" {
				t.Errorf("%s: button %v %q: want visible text inside its accessible name (WCAG 2.5.3)", l, b.Attr, b.Text)
			}
		}
		if got := p.find("button", "aria-label", tp(texts[l]["account_remove_for"], "Journal")); len(got) != 1 {
			t.Errorf("%s: no remove button named for Journal", l)
		}
		for _, f := range p.find("form") {
			if f.Attr["method"] != "post" {
				t.Errorf("%s: form %v is not a POST", l, f.Attr)
			}
		}
		if n := len(p.find("input", "name", "csrf", "value", "tok")); n != len(p.find("form")) {
			t.Errorf("%s: %d CSRF inputs for %d forms", l, n, len(p.find("form")))
		}
		for _, want := range []string{texts[l]["scope_email"], texts[l]["scope_offline_access"], "api:read",
			tp(texts[l]["account_about"], "192.0.2.7"), texts[l]["account_this_browser"], texts[l]["account_no_session"]} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s: page does not say %q", l, want)
			}
		}
		if strings.Contains(p.body, ">offline_access<") || strings.Contains(p.body, ">email<") {
			t.Errorf("%s: a standard scope is shown by its name, not in words", l)
		}
		if p.one(t, "p", "id", "notice").Text == "" || !strings.Contains(p.body, "<strong>Timebok</strong>") {
			t.Errorf("%s: the removal is not told", l)
		}
	}
	if got := when(NB, time.Date(2026, 12, 3, 14, 5, 0, 0, time.UTC)); got != "3. desember 2026 kl. 14.05 UTC" {
		t.Errorf("nb time %q", got)
	}
}

// A client name is the client's to choose: it is shown as text, never markup.
func TestAccountPageEscapes(t *testing.T) {
	r := newTestRenderer(t)
	d := sampleAccount(EN)
	evil := `<script>alert(1)</script>"><img src=x>`
	d.Apps[0].Name, d.Consents[0].Name, d.Removed = evil, evil, evil
	p := renderPage(t, func(w http.ResponseWriter) error { return r.Account(w, d) })
	if len(p.find("script")) != 0 || len(p.find("img")) != 0 || strings.Contains(p.body, "<script>alert") {
		t.Fatal("a client name became markup")
	}
	if p.find("h3")[0].Text != evil {
		t.Errorf("the name is not shown as text: %q", p.find("h3")[0].Text)
	}
}

// With nothing to show, the page says so in words, and still offers sign out.
func TestAccountPageEmpty(t *testing.T) {
	r := newTestRenderer(t)
	p := renderPage(t, func(w http.ResponseWriter) error {
		return r.Account(w, AccountPage{Lang: NB, Hidden: map[string]string{"csrf": "t"}, SignOutURL: "/account/signout"})
	})
	if p.one(t, "p", "id", "no-apps").Text != texts[NB]["account_no_apps"] || p.one(t, "p", "id", "no-consents").Text == "" {
		t.Error("empty state not told")
	}
	if len(p.find("button")) != 1 {
		t.Error("want only the sign-out button")
	}
}
