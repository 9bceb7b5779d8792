package console_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/account"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

var (
	styleBlock = regexp.MustCompile(`(?s)<style>.*?</style>`)
	anyTag     = regexp.MustCompile(`(?s)<[^>]*>`)
)

// visible is the text of a page a reader sees: no style, no tags, entities
// decoded.
func visible(page string) string {
	return html.UnescapeString(anyTag.ReplaceAllString(styleBlock.ReplaceAllString(page, " "), " "))
}

// english is every English console text (or, for one with a "{}", each
// part of it) that reads differently in bokmål. A part the bokmål text
// holds too (an identifier such as keys.rotate_every) is left out, and so
// are the audit trail's event kinds, which the client page shows as they
// are in both languages.
func english() []string {
	kinds := map[string]bool{store.EventRefreshRefused: true, store.EventReuseDetected: true, store.EventRevoked: true}
	var out []string
	for _, k := range web.ConsoleTextKeys() {
		en, nb := web.Text(web.EN, k), web.Text(web.NB, k)
		if en == nb {
			continue
		}
		for _, part := range strings.Split(en, "{}") {
			if part = strings.TrimSpace(part); len(part) >= 4 && !strings.Contains(nb, part) && !kinds[part] {
				out = append(out, part)
			}
		}
	}
	return out
}

// TestConsoleInBokmal: each console page asked for in bokmål, by
// Accept-Language or by ui_locales (kept for the pages after it), says
// lang="nb" and shows none of the English texts; asked for in English, it
// shows them.
func TestConsoleInBokmal(t *testing.T) {
	g := newRig(t)
	b := browser(t)
	if _, page := g.do(b, "GET", "/admin/signin", nil, "Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5"); !strings.Contains(page, `lang="nb"`) ||
		!strings.Contains(page, web.Text(web.NB, "console_admin_token")) {
		t.Errorf("the sign-in page in bokmål: %s", page)
	}
	// A ui_locales on the way in is kept across the redirect to the sign-in.
	nb := browser(t)
	if resp, _ := g.do(nb, "GET", "/admin/?ui_locales=nb", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /admin/ signed out: %d", resp.StatusCode)
	}
	if _, page := g.do(nb, "GET", "/admin/signin", nil, "Accept-Language", "en"); !strings.Contains(page, `<html lang="nb">`) {
		t.Errorf("the sign-in page after /admin/?ui_locales=nb is not in bokmål")
	}
	g.signIn(b, "ana")
	_, page := g.do(b, "GET", "/admin/clients/file-app", nil)
	revokeAll := forms(page)["/admin/clients/file-app/revoke"]
	en := english()
	pages := []string{"/admin/", "/admin/search?by=user&q=nobody", "/admin/search?by=grant&q=", "/admin/users/sub-mallory",
		"/admin/clients/file-app", "/admin/clients/evil", "/admin/clients/nope", "/admin/reuse", "/admin/keys",
		"/admin/clients/file-app?done=revoked&n=2", "/admin/reuse?after=garbage"}
	check := func(how string, header ...string) {
		for _, p := range pages {
			_, page := g.do(b, "GET", p, nil, header...)
			if !strings.Contains(page, `<html lang="nb">`) {
				t.Errorf("%s GET %s is not in bokmål", how, p)
				continue
			}
			text := visible(page)
			for _, s := range en {
				if strings.Contains(text, s) {
					t.Errorf("%s GET %s shows the English %q", how, p, s)
				}
			}
		}
		// A refused action's message is in bokmål too.
		resp, page := g.do(b, "POST", "/admin/clients/file-app/revoke", map[string][]string{"csrf": {revokeAll}}, header...)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, web.Text(web.NB, "console_err_confirm")) {
			t.Errorf("%s: the unconfirmed revoke: %d %s", how, resp.StatusCode, page)
		}
	}
	check("Accept-Language", "Accept-Language", "nb")
	// ui_locales wins over Accept-Language, and is kept for the next pages.
	if _, page := g.do(b, "GET", "/admin/keys?ui_locales=nb", nil, "Accept-Language", "en"); !strings.Contains(page, `<html lang="nb">`) {
		t.Errorf("ui_locales=nb did not win over Accept-Language: en")
	}
	check("after ui_locales=nb", "Accept-Language", "en")
	// And back to English: the same pages show the English texts.
	_, page = g.do(b, "GET", "/admin/keys?ui_locales=en", nil, "Accept-Language", "nb")
	if !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, web.Text(web.EN, "console_keys_title")) {
		t.Errorf("ui_locales=en: %s", page)
	}
	_, page = g.do(b, "GET", "/admin/users/sub-mallory", nil, "Accept-Language", "nb")
	if !strings.Contains(visible(page), web.Text(web.EN, "console_revoke_user")) {
		t.Errorf("the English choice was not kept")
	}
	// The language link on a page leads to the same page in the other language.
	if !strings.Contains(page, `href="/admin/users/sub-mallory?ui_locales=nb"`) {
		t.Errorf("no link to the page in bokmål: %s", page)
	}
}

// TestUserSessions: the user page lists the person's live sessions from
// the store (not only those found on grants), newest first, each with its
// sign-in time, expiry, methods, the account page's label and the grants
// issued in it; never the session's cookie hash or its sid. A session no
// longer live that issued a grant on the page is named as ended.
func TestUserSessions(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	mk := func(id, sid, sub string, created time.Time, life time.Duration, amr ...string) {
		if err := g.st.CreateSession(ctx, store.Session{ID: id, SID: sid, Subject: sub, AuthTime: created, AMR: amr,
			CreatedAt: created, ExpiresAt: created.Add(life)}, store.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("cookie-hash-one", "sid-1", "sub-mallory", g.now.Add(-2*time.Hour), 8*time.Hour, "pwd", "otp")
	mk("cookie-hash-two", "sid-2", "sub-mallory", g.now.Add(-time.Hour), 8*time.Hour, "hwk")
	mk("cookie-hash-old", "sid-old", "sub-mallory", g.now.Add(-10*time.Hour), 8*time.Hour, "pwd")
	mk("cookie-hash-bob", "sid-bob", "sub-bob", g.now.Add(-time.Hour), 8*time.Hour, "pwd")
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	if _, err := g.rs.Issue(ctx, store.Grant{ClientID: "file-app", Subject: "sub-mallory", SessionID: "sid-old", Scopes: []string{"openid"}}, refresh.Proof{}, p); err != nil {
		t.Fatal(err)
	}
	sums, _, err := g.st.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{SessionID: "sid-1"}})
	if err != nil || len(sums) != 3 {
		t.Fatalf("sid-1's grants: %d %v", len(sums), err)
	}
	b := browser(t)
	g.signIn(b, "ana")
	_, page := g.do(b, "GET", "/admin/users/sub-mallory", nil)
	i := strings.Index(page, `id="sessions"`)
	if i < 0 {
		t.Fatalf("no sessions on the page: %s", page)
	}
	sessions := page[i:]
	l1, l2, lold := account.SessionLabel("sid-1"), account.SessionLabel("sid-2"), account.SessionLabel("sid-old")
	i1, i2 := strings.Index(sessions, l1), strings.Index(sessions, l2)
	if i1 < 0 || i2 < 0 || i2 > i1 {
		t.Errorf("want both live sessions, the newer (%s) first: %s", l2, sessions)
	}
	if strings.Contains(sessions, account.SessionLabel("sid-bob")) {
		t.Error("another person's session is listed")
	}
	row1 := sessions[i1:]
	row1 = row1[:strings.Index(row1, "</tr>")]
	for _, want := range []string{"pwd otp", g.now.Add(-2 * time.Hour).UTC().Format("2006-01-02 15:04:05Z"), g.now.Add(6 * time.Hour).UTC().Format("2006-01-02 15:04:05Z")} {
		if !strings.Contains(row1, want) {
			t.Errorf("session row lacks %q: %s", want, row1)
		}
	}
	for _, s := range sums {
		if !strings.Contains(row1, `href="/admin/grants/`+s.ID+`"`) {
			t.Errorf("grant %s of the session is not on its row: %s", s.ID, row1)
		}
	}
	// The session that ended is named, by its label, as one grants came from.
	if !strings.Contains(visible(sessions), web.TextWith(web.EN, "console_sessions_ended", lold)) {
		t.Errorf("the ended session %s is not named: %s", lold, sessions)
	}
	for _, secret := range []string{"cookie-hash", "sid-1", "sid-2", "sid-old"} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows %q: a session's cookie hash or sid", secret)
		}
	}
}
