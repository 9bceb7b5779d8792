package account

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLanguageKeptAcrossAForm: a page asked for in bokmål (ui_locales)
// posts its forms with that language, so the answer to a removal, and its
// redirect back to the page, stay in bokmål.
func TestLanguageKeptAcrossAForm(t *testing.T) {
	h := newHandler(t)
	f := newFixture(t)
	h.Service = f.svc
	f.issue(t, "app", "alice", "openid", "offline_access")
	_, ck := roundTrip(h.cookies, cookieName, signedIn{Sub: "alice", SID: "s1", Exp: t0.Add(time.Hour).Unix()}, time.Hour)
	get := httptest.NewRequest(http.MethodGet, "/tg/account?ui_locales=nb", nil)
	get.AddCookie(ck)
	page := httptest.NewRecorder()
	h.ServeHTTP(page, get)
	body := page.Body.String()
	action := regexp.MustCompile(`<form method="post" action="([^"]*)"`).FindStringSubmatch(body)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(body)
	grant := regexp.MustCompile(`name="grant" value="([^"]*)"`).FindStringSubmatch(body)
	if action == nil || csrf == nil || grant == nil {
		t.Fatalf("the page has no removal form:\n%s", body)
	}
	post := httptest.NewRequest(http.MethodPost, html.UnescapeString(action[1]),
		strings.NewReader(url.Values{"csrf": {csrf[1]}, "grant": {grant[1]}}.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(ck)
	for _, c := range page.Result().Cookies() {
		post.AddCookie(c)
	}
	answer := httptest.NewRecorder()
	h.ServeHTTP(answer, post)
	loc := answer.Header().Get("Location")
	if answer.Code != http.StatusSeeOther || !strings.Contains(loc, "ui_locales=nb") {
		t.Fatalf("removal from the bokmål page: %d to %q, want a redirect that keeps ui_locales=nb", answer.Code, loc)
	}
}
