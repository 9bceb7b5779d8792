package console_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// TestLinksKeepAnIDWhole: a subject may hold "/" or "?" (any printable
// ASCII): the next-page link and the language link of its page lead to the
// same person's page, never to a 404 or to another person's.
func TestLinksKeepAnIDWhole(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	subjects := []string{"org/42", "a?b"}
	for _, sub := range subjects {
		for range 60 { // more than a page
			if _, err := g.rs.Issue(ctx, store.Grant{ClientID: "file-app", Subject: sub, Scopes: []string{"openid"}}, refresh.Proof{}, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := browser(t)
	g.signIn(b, "ana")
	next := regexp.MustCompile(`<a href="([^"]*)" rel="next"`)
	lang := regexp.MustCompile(`<a href="([^"]*)" lang=`)
	for _, sub := range subjects {
		_, body := g.do(b, "GET", "/admin/users/"+url.PathEscape(sub), nil)
		for what, re := range map[string]*regexp.Regexp{"next page": next, "language": lang} {
			m := re.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("%s: no %s link", sub, what)
			}
			resp, page := g.do(b, "GET", html.UnescapeString(m[1]), nil)
			if resp.StatusCode != 200 || !strings.Contains(page, "<code>"+html.EscapeString(sub)+"</code>") {
				t.Errorf("%s: the %s link %q leads to %d %q, not this person's page", sub, what, m[1], resp.StatusCode,
					regexp.MustCompile(`<h1>[^\n]*</h1>`).FindString(page))
			}
		}
	}
}

// TestLanguageLinkKeepsQuery: the language link of a page with a query
// (a search, a later page of a list) leads to the same page, query and
// all, in the other language: not to an empty search nor to page one.
func TestLanguageLinkKeepsQuery(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	for range 60 { // more than a page
		if _, err := g.rs.Issue(ctx, store.Grant{ClientID: "file-app", Subject: "sub-many", Scopes: []string{"openid"}}, refresh.Proof{}, p); err != nil {
			t.Fatal(err)
		}
	}
	b := browser(t)
	g.signIn(b, "ana")
	link := func(page string) string {
		t.Helper()
		m := regexp.MustCompile(`<a href="([^"]*)" lang="nb"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no language link to bokmål: %s", page)
		}
		return html.UnescapeString(m[1])
	}

	_, page := g.do(b, "GET", "/admin/search?by=user&q=no+body", nil, "Accept-Language", "en")
	href := link(page)
	u, err := url.Parse(href)
	if err != nil || u.Path != "/admin/search" || u.Query().Get("by") != "user" || u.Query().Get("q") != "no body" || u.Query().Get("ui_locales") != "nb" {
		t.Fatalf("the search page's language link is %q: want by=user, q=no body and ui_locales=nb on /admin/search", href)
	}
	resp, page := g.do(b, "GET", href, nil)
	if resp.StatusCode != 404 || !strings.Contains(page, `<html lang="nb">`) || !strings.Contains(page, `value="no body"`) ||
		!strings.Contains(page, html.EscapeString(web.Text(web.NB, "console_search_no_user"))) {
		t.Errorf("the language link leads to %d, not the same search in bokmål: %s", resp.StatusCode, page)
	}

	// A later page of a list stays that page.
	_, page = g.do(b, "GET", "/admin/users/sub-many?ui_locales=en", nil)
	m := regexp.MustCompile(`<a href="([^"]*)" rel="next"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no next page link")
	}
	second := html.UnescapeString(m[1])
	after, _ := url.Parse(second)
	_, page = g.do(b, "GET", second, nil)
	u, err = url.Parse(link(page))
	if err != nil || u.Path != "/admin/users/sub-many" || u.Query().Get("after") == "" || u.Query().Get("after") != after.Query().Get("after") {
		t.Errorf("the second page's language link %v does not keep after=%q", u, after.Query().Get("after"))
	}
}
