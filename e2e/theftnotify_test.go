package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// rpReceiver is a relying party's back-channel endpoints on loopback: it
// accepts SETs (RFC 8935: 202) and logout tokens (Back-Channel Logout
// §2.8: 200) and keeps what it was sent.
type rpReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	sets []string // compact SETs
	lts  []string // logout tokens
	ct   []string // the Content-Type of each request
	got  chan struct{}
}

func newRPReceiver(t *testing.T) *rpReceiver {
	r := &rpReceiver{got: make(chan struct{}, 16)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.ct = append(r.ct, req.URL.Path+" "+req.Header.Get("Content-Type"))
		switch req.URL.Path {
		case "/events":
			r.sets = append(r.sets, string(raw))
			w.WriteHeader(http.StatusAccepted)
		default: // every other path is a client's backchannel_logout_uri
			form, _ := url.ParseQuery(string(raw))
			r.lts = append(r.lts, form.Get("logout_token"))
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		}
		r.mu.Unlock()
		r.got <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *rpReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sets) + len(r.lts)
}

// typOf is the typ of a compact JWS's protected header.
func typOf(t *testing.T, raw string) any {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	return jws.Signatures[0].Protected.ExtraHeaders["typ"]
}

// TestReuseAfterGraceNotifiesTheClient: a client signs in through the
// pages (a browser session, so a sid), refreshes with x/oauth2, and retries
// the consumed token within the grace window: it gets the same successor
// and nothing is sent. The consumed token presented after the window is
// reuse: the grant is revoked, and the client's receiver gets a SET and a
// logout token for the session, both of which go-oidc verifies against the
// server's JWKS.
func TestReuseAfterGraceNotifiesTheClient(t *testing.T) {
	rp := newRPReceiver(t)
	e := startWith(t, func(c *config.Config) {
		c.Clients[0].SecurityEventPushURI = rp.URL + "/events"
		c.Clients[0].BackchannelLogoutURI = rp.URL + "/logout"
		c.Clients[0].BackchannelLogoutSessionRequired = true
	})
	ctx := context.Background()
	verifier, challenge := pkce()
	loc, last := e.browser().walk(e.authURL(codeRequest(challenge, nil)), alice())
	if loc == nil {
		t.Fatalf("sign-in ended on a page: %d", last.Status)
	}
	tok, raw := e.redeemApp(t, loc, verifier)
	id, err := e.verifier("app").Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var idc struct {
		SID string `json:"sid"`
	}
	if err := id.Claims(&idc); err != nil || idc.SID == "" {
		t.Fatalf("ID token sid: %q %v", idc.SID, err)
	}

	// Refresh with the library; then retry the consumed token, raw, within
	// the grace window: the same successor, and nothing sent.
	consumed := tok.RefreshToken
	tok.Expiry = time.Now().Add(-time.Minute)
	conf := e.oauth2Config("app", secretApp)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	e.clk.Add(config.DefaultReuseGrace / 2)
	retry := e.refreshGrant("app", secretApp, consumed)
	wantOK(t, retry)
	if retry.str("refresh_token") != fresh.RefreshToken {
		t.Fatal("a retry within grace got another successor")
	}

	// After the window: reuse. The grant goes, and the client is told.
	e.clk.Add(config.DefaultReuseGrace)
	wantError(t, e.refreshGrant("app", secretApp, consumed), http.StatusBadRequest, "invalid_grant")
	for range 2 {
		select {
		case <-rp.got:
		case <-time.After(15 * time.Second):
			t.Fatalf("the receiver got %d messages, want 2; log:\n%s", rp.count(), e.logs.String())
		}
	}
	if rp.count() != 2 {
		t.Fatalf("the receiver got %d messages, want 2 (the retry sent something?)", rp.count())
	}
	rp.mu.Lock()
	set, lt, cts := rp.sets[0], rp.lts[0], strings.Join(rp.ct, ",")
	rp.mu.Unlock()
	if !strings.Contains(cts, "/events application/secevent+jwt") || !strings.Contains(cts, "/logout application/x-www-form-urlencoded") {
		t.Fatalf("content types: %s", cts)
	}

	// Both verify against the server's JWKS (discovery, go-oidc), as a
	// relying party verifies them.
	p, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	if typOf(t, set) != "secevent+jwt" || typOf(t, lt) != "logout+jwt" {
		t.Fatalf("typ: SET %v, logout token %v", typOf(t, set), typOf(t, lt))
	}
	// A SET has no exp (RFC 8417 §2.2 leaves it out; SSF omits it).
	sv, err := p.Verifier(&oidc.Config{ClientID: "app", SkipExpiryCheck: true, Now: e.clk.Now}).Verify(ctx, set)
	if err != nil {
		t.Fatalf("SET: %v", err)
	}
	var sc struct {
		Jti   string `json:"jti"`
		Txn   string `json:"txn"`
		SubID struct {
			Format  string `json:"format"`
			User    struct{ Format, Iss, Sub string }
			Session struct{ Format, ID string }
		} `json:"sub_id"`
		Events map[string]struct {
			InitiatingEntity string            `json:"initiating_entity"`
			ReasonAdmin      map[string]string `json:"reason_admin"`
		} `json:"events"`
	}
	if err := sv.Claims(&sc); err != nil {
		t.Fatal(err)
	}
	ev, ok := sc.Events["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]
	if !ok || len(sc.Events) != 1 || sc.Jti == "" || sc.Txn == "" || sc.SubID.Format != "complex" ||
		sc.SubID.User.Sub != "sub-alice" || sc.SubID.User.Iss != e.issuer || sc.SubID.Session.ID != idc.SID ||
		ev.InitiatingEntity != "policy" || !strings.Contains(ev.ReasonAdmin["en"], "outside_grace") {
		t.Fatalf("SET claims: %+v", sc)
	}
	lv, err := p.Verifier(&oidc.Config{ClientID: "app", Now: e.clk.Now}).Verify(ctx, lt)
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var lc map[string]json.RawMessage
	if err := lv.Claims(&lc); err != nil {
		t.Fatal(err)
	}
	if lv.Subject != "sub-alice" || string(lc["sid"]) != `"`+idc.SID+`"` || lc["nonce"] != nil || lc["jti"] == nil ||
		string(lc["events"]) != `{"http://schemas.openid.net/event/backchannel-logout":{}}` {
		t.Fatalf("logout token claims: %s", lc)
	}

	// The client's live token died with the grant.
	fresh.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(ctx, fresh).Token(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("the live token after the revocation: %v", err)
	}
	for _, s := range []string{"event=refresh_token_reuse signal=outside_grace", "event=notify_delivered kind=security_event",
		"event=notify_delivered kind=backchannel_logout"} {
		if !e.logged(s) {
			t.Errorf("log lacks %q", s)
		}
	}
	logs := e.logs.String()
	for _, s := range []string{consumed, fresh.RefreshToken, set, lt} {
		if strings.Contains(logs, s) {
			t.Fatal("the log holds a token")
		}
	}
}

// TestEndSessionSendsBackchannelLogout: RP-initiated logout with an
// id_token_hint that names the session sends the hinting client a logout
// token for that sid, which go-oidc verifies; a client that configured
// back-channel logout but never signed in with this session is told
// nothing (that would tell it the user exists and signed out).
func TestEndSessionSendsBackchannelLogout(t *testing.T) {
	rp := newRPReceiver(t)
	e := startWith(t, func(c *config.Config) {
		c.Clients[0].BackchannelLogoutURI = rp.URL + "/logout"
		c.Clients[2].BackchannelLogoutURI = rp.URL + "/other" // app2: never signs in here
	})
	ctx := context.Background()
	b := e.browser()
	verifier, challenge := pkce()
	loc, _ := b.walk(e.authURL(codeRequest(challenge, nil)), alice())
	tok, idt := e.redeemApp(t, loc, verifier)
	out := b.do("GET", "/connect/endsession?"+url.Values{"id_token_hint": {idt}}.Encode(), nil)
	if out.Status != http.StatusOK {
		t.Fatalf("logout: %d", out.Status)
	}
	select {
	case <-rp.got:
	case <-time.After(15 * time.Second):
		t.Fatalf("no logout token; log:\n%s", e.logs.String())
	}
	id, err := e.verifier("app").Verify(ctx, idt)
	if err != nil {
		t.Fatal(err)
	}
	var idc struct {
		SID string `json:"sid"`
	}
	_ = id.Claims(&idc)
	rp.mu.Lock()
	lts, paths := rp.lts, strings.Join(rp.ct, ",")
	rp.mu.Unlock()
	if len(lts) != 1 || strings.Contains(paths, "/other") || !strings.Contains(e.logs.String(), "backchannel_logouts=1") {
		t.Fatalf("requests: %s; log:\n%s", paths, e.logs.String())
	}
	if typOf(t, lts[0]) != "logout+jwt" {
		t.Fatal("typ is not logout+jwt")
	}
	lv, err := e.verifier("app").Verify(ctx, lts[0])
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var lc struct {
		SID    string         `json:"sid"`
		Nonce  *string        `json:"nonce"`
		Events map[string]any `json:"events"`
	}
	if err := lv.Claims(&lc); err != nil || lc.SID != idc.SID || lv.Subject != "sub-alice" || lc.Nonce != nil ||
		lc.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		t.Fatalf("logout token: sub %q %+v %v", lv.Subject, lc, err)
	}
	// Offline access outlives the browser session (no revoke_on_logout).
	wantOK(t, e.refreshGrant("app", secretApp, tok.RefreshToken))
}

// TestEndSessionConfirmedTellsOnlyClientsInTheSession: an id_token_hint
// that names no session (a password grant's has no sid) does not show that
// its client signed in with the browser's session, so after the user
// confirms the logout that client ("app") is not told; "web" held a grant
// of this session and has revoke_on_logout, so it is revoked and told.
func TestEndSessionConfirmedTellsOnlyClientsInTheSession(t *testing.T) {
	rp := newRPReceiver(t)
	e := startWith(t, func(c *config.Config) {
		c.Clients[0].BackchannelLogoutURI = rp.URL + "/logout"
		c.Clients[1].BackchannelLogoutURI = rp.URL + "/web"
	})
	ctx := context.Background()
	b := e.browser()
	verifier, challenge := pkce()
	form := url.Values{"client_id": {"web"}, "redirect_uri": {"https://web.example/cb"}, "response_type": {"code"},
		"scope": {"openid offline_access"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	par := e.post("/connect/par", form, "web", secretWeb)
	loc, _ := b.walk(e.issuer+"/connect/authorize?client_id=web&request_uri="+url.QueryEscape(par.str("request_uri")), alice())
	if loc == nil {
		t.Fatal("sign-in failed")
	}
	conf := e.oauth2Config("web", secretWeb)
	conf.RedirectURL = "https://web.example/cb"
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.verifier("web").Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var idc struct {
		SID string `json:"sid"`
	}
	_ = id.Claims(&idc)

	r := e.passwordGrant("app", secretApp, "openid")
	wantOK(t, r)
	ask := b.do("GET", "/connect/endsession?"+url.Values{"id_token_hint": {r.str("id_token")}}.Encode(), nil)
	if ask.Status != http.StatusOK || ask.hidden().Get("confirm") != "yes" {
		t.Fatalf("want the confirmation page, got %d", ask.Status)
	}
	if out := b.do("POST", "/connect/endsession", ask.hidden()); out.Status != http.StatusOK {
		t.Fatalf("confirmed logout: %d", out.Status)
	}
	select {
	case <-rp.got:
	case <-time.After(15 * time.Second):
		t.Fatalf("no logout token; log:\n%s", e.logs.String())
	}
	if logs := e.logs.String(); !strings.Contains(logs, "backchannel_logouts=1") {
		t.Fatalf("log:\n%s", logs)
	}
	rp.mu.Lock()
	lts, paths := rp.lts, strings.Join(rp.ct, ",")
	rp.mu.Unlock()
	if len(lts) != 1 || !strings.HasPrefix(paths, "/web ") {
		t.Fatalf("requests: %s", paths)
	}
	lv, err := e.verifier("web").Verify(ctx, lts[0])
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var lc struct {
		SID string `json:"sid"`
	}
	if err := lv.Claims(&lc); err != nil || lc.SID != idc.SID {
		t.Fatalf("logout token sid %q, want %q (%v)", lc.SID, idc.SID, err)
	}
	wantError(t, e.refreshGrant("web", secretWeb, tok.RefreshToken), 400, "invalid_grant")
}

// logged waits up to 15 s for a log line holding s. A receiver has its
// message before the notifier's worker, back from its POST, logs the
// delivery, so a test that just saw the message must wait for the line.
func (e *env) logged(s string) bool {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(e.logs.String(), s) {
			return true
		}
	}
	return strings.Contains(e.logs.String(), s)
}
