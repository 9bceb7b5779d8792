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
