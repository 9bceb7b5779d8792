package account

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// signedInCookie is the account cookie of sub in browser session sid.
func signedInCookie(h *Handler, sub, sid string) *http.Cookie {
	_, ck := roundTrip(h.cookies, cookieName, signedIn{Sub: sub, SID: sid, Exp: t0.Add(time.Hour).Unix()}, time.Hour)
	return &http.Cookie{Name: ck.Name, Value: ck.Value}
}

// get fetches the account page with the cookies cks.
func get(h *Handler, target string, cks ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range cks {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// The form token is bound to the sign-in it was issued to: posted with
// the account cookie of another sign-in, another person's or the same
// person's in another browser session, it is refused with 403 and
// nothing is removed.
func TestFormTokenBoundToTheSignIn(t *testing.T) {
	h := newHandler(t)
	f := newFixture(t)
	h.Service = f.svc
	f.issue(t, "journal", "alice", "openid", "offline_access")
	mine := signedInCookie(h, "alice", "s1")
	page := get(h, "/tg/account", mine)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(page.Body.String())
	grant := regexp.MustCompile(`name="grant" value="([^"]*)"`).FindStringSubmatch(page.Body.String())
	if csrf == nil || grant == nil {
		t.Fatalf("no removal form:\n%s", page.Body.String())
	}
	post := func(account *http.Cookie) int {
		r := httptest.NewRequest(http.MethodPost, "/tg/account/remove",
			strings.NewReader(url.Values{"csrf": {csrf[1]}, "grant": {grant[1]}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(account)
		for _, c := range page.Result().Cookies() { // the CSRF cookie
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	for name, other := range map[string]*http.Cookie{
		"another person":          signedInCookie(h, "bob", "s1"),
		"another browser session": signedInCookie(h, "alice", "s2"),
	} {
		if code := post(other); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, code)
		}
	}
	if code := post(mine); code != http.StatusSeeOther {
		t.Fatalf("the sign-in the form was made for: %d, want 303", code)
	}
}

// The notices after a removal or a forgotten consent name only a client
// that exists: a link with an invented id shows no notice.
func TestNoticesNameOnlyKnownClients(t *testing.T) {
	h := newHandler(t)
	ck := signedInCookie(h, "alice", "s1")
	notice := regexp.MustCompile(`id="notice">(.*?)</p>`)
	for _, q := range []string{"removed=Evil+Corp+was+given+your+data", "forgot=Evil+Corp+was+given+your+data"} {
		rec := get(h, "/tg/account?"+q, ck)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", q, rec.Code)
		}
		if m := notice.FindStringSubmatch(rec.Body.String()); m != nil || strings.Contains(rec.Body.String(), "Evil Corp") {
			t.Errorf("%s: the page shows the invented name: %v", q, m)
		}
	}
	for _, q := range []string{"removed=journal", "forgot=journal"} {
		m := notice.FindStringSubmatch(get(h, "/tg/account?"+q, ck).Body.String())
		if m == nil || !strings.Contains(m[1], "Journal") {
			t.Errorf("%s: notice %v, want one naming Journal", q, m)
		}
	}
}

// RFC 9207 §2.4: a response naming another issuer is refused before its
// code is redeemed; one naming this issuer, or none, signs in.
func TestCallbackRefusesAnotherIssuer(t *testing.T) {
	h, f := callbackHandler(t)
	rec := callback(h, "code=c&state=st&iss="+url.QueryEscape("https://evil.example"))
	if rec.Code != http.StatusBadRequest || signedInBy(rec) || f.calls != 0 {
		t.Fatalf("another issuer: %d, signed in %v, %d exchanges; want 400, none", rec.Code, signedInBy(rec), f.calls)
	}
	for _, q := range []string{"code=c&state=st&iss=" + url.QueryEscape("https://id.example/tg"), "code=c&state=st"} {
		if rec := callback(h, q); rec.Code != http.StatusSeeOther || !signedInBy(rec) {
			t.Errorf("%s: %d, signed in %v", q, rec.Code, signedInBy(rec))
		}
	}
}

// One authorization response per sign-in: the callback clears the
// pending cookie, so a browser that loads the callback URL again (back
// button, reload) is told to start over and no second code exchange is
// made.
func TestCallbackClearsThePendingSignIn(t *testing.T) {
	h, f := callbackHandler(t)
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse("https://id.example/tg/account/callback?code=c&state=st")
	_, pck := roundTrip(h.cookies, pendingCookie, pending{State: "st", Nonce: "n1", Verifier: "v",
		Exp: t0.Add(pendingLifetime).Unix()}, pendingLifetime)
	jar.SetCookies(u, []*http.Cookie{pck})
	load := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, u.String(), nil)
		for _, c := range jar.Cookies(u) {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		jar.SetCookies(u, rec.Result().Cookies())
		return rec
	}
	if rec := load(); rec.Code != http.StatusSeeOther || !signedInBy(rec) {
		t.Fatalf("first callback: %d", rec.Code)
	}
	rec := load()
	if rec.Code != http.StatusBadRequest || signedInBy(rec) || f.calls != 1 {
		t.Fatalf("the callback again: %d, signed in %v, %d exchanges; want 400 and the one exchange", rec.Code, signedInBy(rec), f.calls)
	}
}

// With Live, the page greets the person Live returns; a Live without a
// person (the Tollgate session ended or is another) sends the browser to
// sign in.
func TestPageGreetsThePersonLiveGives(t *testing.T) {
	h := newHandler(t)
	var sids []string
	h.Live = func(_ *http.Request, sid string) (*config.User, error) {
		sids = append(sids, sid)
		if sid != "s1" {
			return nil, nil
		}
		return &config.User{Username: "alice", Subject: "alice", Claims: map[string]any{"name": "Alice Liddell"}}, nil
	}
	rec := get(h, "/tg/account", signedInCookie(h, "alice", "s1"))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Alice Liddell") {
		t.Fatalf("%d, greeting Alice Liddell: %v", rec.Code, strings.Contains(rec.Body.String(), "Alice Liddell"))
	}
	rec = get(h, "/tg/account", signedInCookie(h, "alice", "s2"))
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther ||
		!strings.HasPrefix(loc, "https://id.example/tg/connect/authorize?") {
		t.Fatalf("another Tollgate session: %d to %q, want a new sign-in", rec.Code, loc)
	}
	if !slices.Equal(sids, []string{"s1", "s2"}) {
		t.Fatalf("Live asked about %v", sids)
	}
}
