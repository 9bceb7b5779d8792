package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/account"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// sessionsPart is the sessions part of the user page of sub, from its
// heading on.
func (g *rig) sessionsPart(sub string) string {
	g.t.Helper()
	b := browser(g.t)
	g.signIn(b, "ana")
	_, page := g.do(b, "GET", "/admin/users/"+sub, nil)
	i := strings.Index(page, `id="sessions"`)
	if i < 0 {
		g.t.Fatalf("no sessions on the page: %s", page)
	}
	return page[i:]
}

func (g *rig) session(sid, sub string, created time.Time) {
	g.t.Helper()
	if err := g.st.CreateSession(context.Background(), store.Session{ID: "cookie-" + sid, SID: sid, Subject: sub, AuthTime: created, AMR: []string{"pwd"},
		CreatedAt: created, ExpiresAt: created.Add(48 * time.Hour)}, store.Event{}); err != nil {
		g.t.Fatal(err)
	}
}

func (g *rig) grantIn(sid, sub string) string {
	g.t.Helper()
	p := refresh.Policy{Rotation: config.RotationOneTime, IdleLifetime: time.Hour, MaxLifetime: 24 * time.Hour}
	iss, err := g.rs.Issue(context.Background(), store.Grant{ClientID: "file-app", Subject: sub, SessionID: sid, Scopes: []string{"openid"}}, refresh.Proof{}, p)
	if err != nil {
		g.t.Fatal(err)
	}
	return iss.Grant.ID
}

// TestUserSessionsPartial: with more live sessions than the page lists,
// the page lists the newest 20, says the list is partial, and names no
// session as ended: a grant of the oldest live session, which is not
// listed, does not make that session "ended".
func TestUserSessionsPartial(t *testing.T) {
	g := newRig(t)
	for i := range 21 {
		g.session(fmt.Sprintf("sid-p%02d", i), "sub-mallory", g.now.Add(time.Duration(i-30)*time.Minute))
	}
	g.grantIn("sid-p00", "sub-mallory") // the oldest: live, but not listed
	sessions := g.sessionsPart("sub-mallory")
	table := sessions[:strings.Index(sessions, "</table>")]
	if n := strings.Count(table, "<tr>\n<td><code>"); n != 20 {
		t.Errorf("%d sessions listed, want the newest 20: %s", n, table)
	}
	if strings.Contains(table, account.SessionLabel("sid-p00")) || !strings.Contains(table, account.SessionLabel("sid-p20")) {
		t.Errorf("want sid-p20 listed and the oldest, sid-p00, not: %s", table)
	}
	text := visible(sessions)
	ended := strings.TrimSpace(strings.Split(web.Text(web.EN, "console_sessions_ended"), "{}")[0])
	if strings.Contains(text, ended) {
		t.Errorf("a live session is named as ended: %s", text)
	}
	if !strings.Contains(text, web.Text(web.EN, "console_sessions_partial")) {
		t.Errorf("the page does not say the list is partial: %s", text)
	}

	// With 20 live sessions the list is whole: no partial note, and the
	// rig's grants of sid-1, which has no session, name it as ended.
	h := newRig(t)
	for i := range 20 {
		h.session(fmt.Sprintf("sid-p%02d", i), "sub-mallory", h.now.Add(time.Duration(i-30)*time.Minute))
	}
	text = visible(h.sessionsPart("sub-mallory"))
	if strings.Contains(text, web.Text(web.EN, "console_sessions_partial")) ||
		!strings.Contains(text, web.TextWith(web.EN, "console_sessions_ended", account.SessionLabel("sid-1"))) {
		t.Errorf("20 sessions: want no partial note and sid-1 named as ended: %s", text)
	}
}

// TestUserSessionGrantsOfSubject: a session's row lists the user's grants
// of it, and "and more" only when the user has more of them than listed,
// not because grants of another subject carry the same sid.
func TestUserSessionGrantsOfSubject(t *testing.T) {
	g := newRig(t)
	g.session("sid-1", "sub-mallory", g.now.Add(-time.Hour)) // the rig issued three grants in sid-1
	want := []string{}
	sums, _, err := g.st.ListGrants(context.Background(), store.GrantQuery{GrantFilter: store.GrantFilter{SessionID: "sid-1"}})
	if err != nil || len(sums) != 3 {
		t.Fatalf("sid-1's grants: %d %v", len(sums), err)
	}
	for _, s := range sums {
		want = append(want, s.ID)
	}
	for range 7 {
		want = append(want, g.grantIn("sid-1", "sub-mallory"))
	}
	for range 11 {
		g.grantIn("sid-1", "sub-bob")
	}
	sessions := g.sessionsPart("sub-mallory")
	i := strings.Index(sessions, account.SessionLabel("sid-1"))
	if i < 0 {
		t.Fatalf("sid-1 not listed: %s", sessions)
	}
	row := sessions[i:]
	row = row[:strings.Index(row, "</tr>")]
	for _, id := range want {
		if !strings.Contains(row, `href="/admin/grants/`+id+`"`) {
			t.Errorf("grant %s of the session is not on its row: %s", id, row)
		}
	}
	if n := strings.Count(row, `href="/admin/grants/`); n != len(want) {
		t.Errorf("%d grants on the row, want the user's %d: %s", n, len(want), row)
	}
	if strings.Contains(row, web.Text(web.EN, "console_grants_more")) {
		t.Errorf("the row says there are more, but the user has exactly %d grants in it: %s", len(want), row)
	}
}
