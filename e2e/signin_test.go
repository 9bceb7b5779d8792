package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// codeRequest is a code-flow request for the confidential client "app".
func codeRequest(challenge string, extra map[string]string) map[string]string {
	p := map[string]string{"client_id": "app", "redirect_uri": "https://app.example/cb", "response_type": "code",
		"scope": "openid profile offline_access", "state": "st-1", "nonce": "n-1",
		"code_challenge": challenge, "code_challenge_method": "S256"}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// TestCodeFlowWithPKCEAndRefresh: sign in through the pages, consent to
// offline access, redeem the code with x/oauth2, refresh with the result.
func TestCodeFlowWithPKCEAndRefresh(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	verifier, challenge := pkce()
	b := e.browser()
	f := alice()
	loc, last := b.walk(e.authURL(codeRequest(challenge, nil)), f)
	if loc == nil {
		t.Fatalf("the flow ended on a page: %d %s", last.Status, last.Body)
	}
	if strings.Join(f.Seen, ",") != "login,consent" {
		t.Fatalf("pages shown: %v; offline access must ask for consent", f.Seen)
	}
	q := loc.Query()
	wantParam(t, q, "state", "st-1")
	wantParam(t, q, "iss", e.issuer) // RFC 9207
	conf := e.oauth2Config("app", secretApp)
	conf.RedirectURL = "https://app.example/cb"
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	id, err := e.verifier("app").Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		SID      string   `json:"sid"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	_ = id.Claims(&c)
	if id.Nonce != "n-1" || c.SID == "" || len(c.AMR) != 1 || c.AMR[0] != "pwd" || c.AuthTime == 0 {
		t.Fatalf("ID token: nonce %q %+v", id.Nonce, c)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token after consenting to offline access")
	}
	tok.Expiry = tok.Expiry.Add(-10 * 60e9)
	if _, err := conf.TokenSource(ctx, tok).Token(); err != nil {
		t.Fatalf("refresh: %v", err)
	}

	// A second request with the session: no login page; offline access asks
	// again because the consent was not remembered.
	f2 := alice()
	_, challenge2 := pkce()
	if loc, _ := b.walk(e.authURL(codeRequest(challenge2, nil)), f2); loc == nil || strings.Join(f2.Seen, ",") != "consent" {
		t.Fatalf("second request showed %v", f2.Seen)
	}
	// Remembered consent: asked once more, then never for the same scopes.
	f3 := alice()
	f3.Remember = true
	b.walk(e.authURL(codeRequest(challenge2, nil)), f3)
	f4 := alice()
	if loc, _ := b.walk(e.authURL(codeRequest(challenge2, nil)), f4); loc == nil || len(f4.Seen) != 0 {
		t.Fatalf("remembered consent still showed %v", f4.Seen)
	}
	// prompt=login forces the password again; prompt=consent the consent.
	f5 := alice()
	b.walk(e.authURL(codeRequest(challenge2, map[string]string{"prompt": "login consent"})), f5)
	if strings.Join(f5.Seen, ",") != "login,consent" {
		t.Fatalf("prompt=login consent showed %v", f5.Seen)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	e := start(t)
	_, challenge := pkce()
	b := e.browser()

	// Never a redirect to an unknown client or an unregistered redirect URI.
	for name, p := range map[string]map[string]string{
		"unknown client":       codeRequest(challenge, map[string]string{"client_id": "ghost"}),
		"bad redirect_uri":     codeRequest(challenge, map[string]string{"redirect_uri": "https://evil.example/cb"}),
		"missing redirect_uri": codeRequest(challenge, map[string]string{"redirect_uri": ""}),
	} {
		pg := b.do("GET", e.authURL(p), nil)
		if pg.Status != http.StatusBadRequest || pg.Location != "" || !strings.Contains(pg.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d Location %q", name, pg.Status, pg.Location)
		}
	}
	// Every other error goes back to the client (RFC 6749 §4.1.2.1).
	redirected := func(p map[string]string, code string) url.Values {
		t.Helper()
		loc, pg := b.walk(e.authURL(p), alice())
		if loc == nil {
			t.Fatalf("want a redirect with %s, got page %d", code, pg.Status)
		}
		v := loc.Query()
		if loc.Fragment != "" {
			v, _ = url.ParseQuery(loc.Fragment)
		}
		wantParam(t, v, "error", code)
		wantParam(t, v, "iss", e.issuer)
		return v
	}
	spa := map[string]string{"client_id": "spa", "redirect_uri": "https://spa.example/cb", "response_type": "code", "scope": "openid", "state": "s"}
	v := redirected(spa, "invalid_request") // a public client without PKCE
	wantParam(t, v, "state", "s")
	redirected(codeRequest(challenge, map[string]string{"code_challenge_method": "plain"}), "invalid_request")
	redirected(codeRequest(challenge, map[string]string{"response_type": "token"}), "unsupported_response_type")
	redirected(codeRequest(challenge, map[string]string{"scope": "openid admin"}), "invalid_scope")
	redirected(codeRequest(challenge, map[string]string{"prompt": "none"}), "login_required")
	redirected(codeRequest(challenge, map[string]string{"response_type": "code id_token", "nonce": ""}), "invalid_request")
	redirected(codeRequest(challenge, map[string]string{"response_type": "code token", "response_mode": "query"}), "invalid_request")
	// form_post cannot reach a native app's scheme: an error in the query, not a 500.
	native := map[string]string{"client_id": "spa", "redirect_uri": "com.example.timeplan:/cb", "response_type": "code",
		"scope": "openid", "state": "n", "code_challenge": challenge, "code_challenge_method": "S256", "response_mode": "form_post"}
	if pg := b.do("GET", e.authURL(native), nil); pg.Status != http.StatusFound || !strings.HasPrefix(pg.Location, "com.example.timeplan:/cb?error=invalid_request") {
		t.Fatalf("form_post to a native scheme: %d %q", pg.Status, pg.Location)
	}
	// Denied consent returns access_denied.
	f := alice()
	f.Consent = "deny"
	loc, _ := b.walk(e.authURL(codeRequest(challenge, nil)), f)
	if loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Fatalf("denied consent: %v", loc)
	}
	// prompt=none with a session but without consent to offline access.
	redirected(codeRequest(challenge, map[string]string{"prompt": "none"}), "consent_required")
	// A failed sign-in: one neutral message for a wrong password and an unknown user.
	var msgs []string
	for _, user := range []string{"alice", "nobody"} {
		nb := e.browser()
		_, pg := nb.walk(e.authURL(codeRequest(challenge, nil)), &flow{Username: user, Password: "wrong-password", Consent: "allow"})
		i := strings.Index(pg.Body, `role="alert"`)
		if pg.Status != 200 || i < 0 {
			t.Fatalf("failed sign-in page for %s: %d", user, pg.Status)
		}
		msgs = append(msgs, pg.Body[i:i+120])
	}
	if msgs[0] != msgs[1] {
		t.Fatalf("sign-in failures differ, revealing who exists:\n%s\n%s", msgs[0], msgs[1])
	}
	// A login form posted without its CSRF token is refused.
	pg := b.do("POST", "/account/login", url.Values{"request": {"tgir_x"}, "username": {"alice"}, "password": {alicePW}})
	if pg.Status != 400 {
		t.Fatalf("login without CSRF: %d", pg.Status)
	}
}

func TestHybridFlows(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	b := e.browser()
	for _, rt := range []string{"code id_token", "code token", "code id_token token"} {
		t.Run(rt, func(t *testing.T) {
			verifier, challenge := pkce()
			loc, pg := b.walk(e.authURL(codeRequest(challenge, map[string]string{"response_type": rt, "scope": "openid profile"})), alice())
			if loc == nil {
				t.Fatalf("ended on a page %d", pg.Status)
			}
			if loc.RawQuery != "" {
				t.Fatalf("tokens in the query string: %s", loc.RawQuery)
			}
			v, _ := url.ParseQuery(loc.Fragment)
			code := v.Get("code")
			if code == "" || v.Get("iss") != e.issuer || v.Get("state") != "st-1" {
				t.Fatalf("fragment %v", v)
			}
			if strings.HasSuffix(rt, " token") && (v.Get("access_token") == "" || v.Get("token_type") != "Bearer") {
				t.Fatalf("%s: no access token in %v", rt, v)
			}
			if strings.Contains(rt, "id_token") {
				id, err := e.verifier("app").Verify(ctx, v.Get("id_token"))
				if err != nil || id.Nonce != "n-1" {
					t.Fatalf("front-channel ID token: %v", err)
				}
				var c struct {
					CHash string `json:"c_hash"`
				}
				_ = id.Claims(&c)
				if c.CHash != halfSHA256(code) {
					t.Fatalf("c_hash %q, want %q", c.CHash, halfSHA256(code))
				}
				if at := v.Get("access_token"); at != "" {
					if err := id.VerifyAccessToken(at); err != nil {
						t.Fatalf("at_hash: %v", err)
					}
				}
			}
			conf := e.oauth2Config("app", secretApp)
			conf.RedirectURL = "https://app.example/cb"
			if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil {
				t.Fatalf("redeem the hybrid code: %v", err)
			}
		})
	}
	// form_post: an auto-submitting form to the redirect URI.
	_, challenge := pkce()
	_, pg := b.walk(e.authURL(codeRequest(challenge, map[string]string{"response_type": "code id_token", "scope": "openid", "response_mode": "form_post"})), alice())
	if pg.Status != 200 || !strings.Contains(pg.Body, `action="https://app.example/cb"`) || !strings.Contains(pg.Body, `name="id_token"`) {
		t.Fatalf("form_post page: %d %s", pg.Status, pg.Body)
	}
}

func halfSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func TestPushedAuthorizationRequests(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	b := e.browser()
	verifier, challenge := pkce()
	req := map[string]string{"client_id": "web", "redirect_uri": "https://web.example/cb", "response_type": "code",
		"scope": "openid offline_access", "state": "par-1", "code_challenge": challenge, "code_challenge_method": "S256"}
	// web requires PAR: a plain request is refused.
	if loc, _ := b.walk(e.authURL(req), alice()); loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("unpushed request for a require_par client: %v", loc)
	}
	form := url.Values{}
	for k, v := range req {
		form.Set(k, v)
	}
	r := e.post("/connect/par", form, "web", secretWeb)
	if r.Status != http.StatusCreated || !strings.HasPrefix(r.str("request_uri"), "urn:ietf:params:oauth:request_uri:") || r.Body["expires_in"] != float64(60) {
		t.Fatalf("PAR: %d %s", r.Status, r.Raw)
	}
	// Presented by another client, it is refused and stays web's to use (RFC 9126 §4).
	if pg := b.do("GET", "/connect/authorize?client_id=app&request_uri="+url.QueryEscape(r.str("request_uri")), nil); pg.Status != 400 || pg.Location != "" {
		t.Fatalf("request_uri with another client_id: %d %q", pg.Status, pg.Location)
	}
	uri := e.issuer + "/connect/authorize?client_id=web&request_uri=" + url.QueryEscape(r.str("request_uri"))
	loc, pg := b.walk(uri, alice())
	if loc == nil || loc.Query().Get("state") != "par-1" {
		t.Fatalf("authorize with request_uri: %v %d", loc, pg.Status)
	}
	conf := e.oauth2Config("web", secretWeb)
	conf.RedirectURL = "https://web.example/cb"
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v", err)
	}
	// The request_uri is single use.
	if pg := b.do("GET", uri, nil); pg.Status != 400 {
		t.Fatalf("reused request_uri: %d", pg.Status)
	}
	// PAR errors are JSON, and need client authentication.
	wantError(t, e.post("/connect/par", form, "web", "wrong-secret-wrong-secret-wrong-secret-x"), 401, "invalid_client")
	form.Set("redirect_uri", "https://evil.example/cb")
	wantError(t, e.post("/connect/par", form, "web", secretWeb), 400, "invalid_request")

	// Sign-out ends the session; web has revoke_on_logout, so its refresh
	// token of that session is revoked too.
	out := b.do("GET", "/connect/endsession?client_id=web", nil)
	if out.Status != 200 || !strings.Contains(out.Body, `name="confirm"`) {
		t.Fatalf("logout without id_token_hint must ask to confirm: %d", out.Status)
	}
	done := b.do("POST", "/connect/endsession", out.hidden())
	if done.Status != 200 {
		t.Fatalf("confirmed logout: %d", done.Status)
	}
	wantError(t, e.refreshGrant("web", secretWeb, tok.RefreshToken), 400, "invalid_grant")
}

func TestEndSessionWithIDTokenHint(t *testing.T) {
	e := start(t)
	b := e.browser()
	verifier, challenge := pkce()
	loc, _ := b.walk(e.authURL(codeRequest(challenge, nil)), alice())
	tok, idt := e.redeemApp(t, loc, verifier)
	bad := b.do("GET", "/connect/endsession?"+url.Values{"id_token_hint": {idt}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode(), nil)
	if bad.Status != 400 || bad.Location != "" {
		t.Fatalf("unregistered post_logout_redirect_uri: %d %q", bad.Status, bad.Location)
	}
	out := b.do("GET", "/connect/endsession?"+url.Values{"id_token_hint": {idt}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"bye-1"}}.Encode(), nil)
	if out.Status != http.StatusFound || out.Location != "https://app.example/bye?state=bye-1" {
		t.Fatalf("logout: %d %q", out.Status, out.Location)
	}
	// The session is gone: prompt=none now needs a login.
	loc, _ = b.walk(e.authURL(codeRequest(challenge, map[string]string{"prompt": "none"})), alice())
	if loc == nil || loc.Query().Get("error") != "login_required" {
		t.Fatalf("after logout: %v", loc)
	}
	// Offline access outlives the browser session by design (app has no revoke_on_logout).
	wantOK(t, e.refreshGrant("app", secretApp, tok.RefreshToken))
}

// TestMaxAge: a sign-in older than max_age asks for the password again
// (OIDC Core §3.1.2.1); a younger one does not.
func TestMaxAge(t *testing.T) {
	e := start(t)
	b := e.browser()
	_, challenge := pkce()
	req := func(maxAge string) map[string]string {
		return codeRequest(challenge, map[string]string{"scope": "openid", "max_age": maxAge})
	}
	f := alice()
	if loc, _ := b.walk(e.authURL(req("600")), f); loc == nil || strings.Join(f.Seen, ",") != "login" {
		t.Fatalf("first sign-in: %v", f.Seen)
	}
	e.clk.Add(5 * 60e9)
	f = alice()
	if loc, _ := b.walk(e.authURL(req("600")), f); loc == nil || len(f.Seen) != 0 {
		t.Fatalf("within max_age: %v", f.Seen)
	}
	f = alice()
	if loc, _ := b.walk(e.authURL(req("60")), f); loc == nil || strings.Join(f.Seen, ",") != "login" {
		t.Fatalf("past max_age: %v", f.Seen)
	}
	// The fresh sign-in resets auth_time in the next ID token.
	f = alice()
	loc, _ := b.walk(e.authURL(req("60")), f)
	if loc == nil || len(f.Seen) != 0 {
		t.Fatalf("right after signing in again: %v", f.Seen)
	}
}
