package main

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The operations of the mix. Each returns the kind of answer it got.

// browserSignIn walks the code flow as a browser does: authorize, the login
// page (unless the browser still has a session), the consent page, then the
// code exchange with PKCE. Half the sign-ins use a new browser, half reuse
// one of a few, so sessions are both made and reused.
func (d *driver) browserSignIn(rng *rand.Rand) string {
	if d.full() {
		d.count("refresh", d.refresh(rng))
		return ""
	}
	bs, release := d.browser(rng)
	defer release()
	b, user := bs.c, bs.user
	verifier := randomString()
	sum := sha256.Sum256([]byte(verifier))
	state := randomString()
	q := url.Values{"client_id": {clientWeb}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {"openid profile offline_access"}, "state": {state}, "nonce": {randomString()},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	a, page := d.get(b, d.cfg.Issuer+"/connect/authorize?"+q.Encode())
	for range 8 {
		if a.status == http.StatusTooManyRequests {
			return kindThrottled
		}
		if a.status != http.StatusFound && a.status != http.StatusSeeOther {
			return d.unexpected("sign-in: %v", a)
		}
		loc, err := page.Parse(a.header.Get("Location"))
		if err != nil {
			return d.unexpected("sign-in: bad Location %q", a.header.Get("Location"))
		}
		if strings.HasPrefix(loc.String(), redirectURI) {
			code := loc.Query().Get("code")
			if code == "" || loc.Query().Get("state") != state {
				return d.unexpected("sign-in: redirect without code or with another state: %s", loc.Redacted())
			}
			return d.tokenOK("code exchange", clientWeb, d.post("/connect/token", url.Values{"grant_type": {"authorization_code"},
				"code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier}}, clientWeb, d.cfg.secret(clientWeb)))
		}
		shown, at := d.get(b, loc.String())
		switch {
		case strings.HasSuffix(loc.Path, "/account/login") && shown.status == http.StatusOK:
			form, action := formOf(shown.raw, at)
			form.Set("username", user.Username)
			form.Set("password", user.Password)
			a, page = d.postPage(b, action, form)
			if a.status == http.StatusOK {
				return d.unexpected("sign-in: the login page refused a correct password")
			}
		case strings.HasSuffix(loc.Path, "/account/consent") && shown.status == http.StatusOK:
			form, action := formOf(shown.raw, at)
			form.Set("consent", "allow")
			a, page = d.postPage(b, action, form)
		default:
			a, page = shown, at
		}
	}
	return d.unexpected("sign-in: more than 8 redirects")
}

// browserState is a cookie jar and the user who signs in with it.
type browserState struct {
	c    *http.Client
	user soakUser
}

// keptBrowsers is how many browsers (and so sessions) are kept for reuse.
const keptBrowsers = 4

// browser returns, for one sign-in, a kept browser (which may still have a
// session) or a new one; release gives it back. A browser is used by one
// sign-in at a time, as one person at one screen.
func (d *driver) browser(rng *rand.Rand) (b *browserState, release func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.browsers); n > 0 && rng.IntN(2) == 0 {
		b = d.browsers[n-1]
		d.browsers = d.browsers[:n-1]
	} else {
		jar, _ := cookiejar.New(nil)
		b = &browserState{c: boundClient(browserAddr(rng), jar), user: d.cfg.Users[rng.IntN(len(d.cfg.Users))]}
	}
	return b, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if len(d.browsers) < keptBrowsers {
			d.browsers = append(d.browsers, b)
		}
	}
}

func (d *driver) get(c *http.Client, u string) (answer, *url.URL) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return answer{err: err}, nil
	}
	return d.do(c, req), req.URL
}

func (d *driver) postPage(c *http.Client, u *url.URL, form url.Values) (answer, *url.URL) {
	req, _ := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return d.do(c, req), req.URL
}

var (
	formRE   = regexp.MustCompile(`<form[^>]*\baction="([^"]*)"`)
	inputRE  = regexp.MustCompile(`<input\b[^>]*>`)
	attrRE   = regexp.MustCompile(`\b(type|name|value)="([^"]*)"`)
	hiddenAt = "hidden"
)

// formOf returns a page's hidden form fields and where the form posts.
func formOf(body string, page *url.URL) (url.Values, *url.URL) {
	v := url.Values{}
	for _, tag := range inputRE.FindAllString(body, -1) {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = html.UnescapeString(m[2])
		}
		if attrs["type"] == hiddenAt && attrs["name"] != "" {
			v.Set(attrs["name"], attrs["value"])
		}
	}
	action := page
	if m := formRE.FindStringSubmatch(body); m != nil {
		if u, err := page.Parse(html.UnescapeString(m[1])); err == nil {
			action = u
		}
	}
	return v, action
}

// preflight makes one password grant, so a server that runs with another
// configuration (wrong secrets, say) is reported at once, not as thirty
// minutes of errors. The grant's refresh token joins the pool.
func (d *driver) preflight() error {
	u := d.cfg.Users[0]
	a := d.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {u.Username}, "password": {u.Password},
		"scope": {"openid offline_access"}}, clientApp, d.cfg.secret(clientApp))
	if d.tokenOK("preflight", clientApp, a) != kindOK {
		return fmt.Errorf("the server at %s does not sign in %s with this configuration's secrets: %v", d.cfg.Issuer, u.Username, a)
	}
	return nil
}

// passwordGrant signs a user in with the password grant and offline_access.
func (d *driver) passwordGrant(rng *rand.Rand) string {
	if d.full() {
		d.count("refresh", d.refresh(rng))
		return ""
	}
	u := d.cfg.Users[rng.IntN(len(d.cfg.Users))]
	return d.tokenOK("password grant", clientApp, d.post("/connect/token", url.Values{"grant_type": {"password"},
		"username": {u.Username}, "password": {u.Password}, "scope": {"openid offline_access"}}, clientApp, d.cfg.secret(clientApp)))
}

// refresh rotates a held refresh token.
func (d *driver) refresh(rng *rand.Rand) string {
	c := d.take(rng)
	if c == nil {
		d.count("password", d.passwordGrant(rng))
		return ""
	}
	now := time.Now()
	a := d.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.token}}, c.client, d.cfg.secret(c.client))
	switch {
	case a.status == http.StatusOK && strings.HasPrefix(a.str("refresh_token"), "tgrt_") && a.str("refresh_token") != c.token:
		c.prev, c.token, c.used = c.token, a.str("refresh_token"), now
		d.put(c)
		return kindOK
	case a.status == http.StatusBadRequest && a.str("error") == "invalid_grant" && d.mayHaveExpired(c, now):
		return kindExpired
	case a.status == http.StatusTooManyRequests:
		d.put(c)
		return kindThrottled
	}
	return d.unexpected("refresh (held %v, used %v ago): %v", now.Sub(c.created).Round(time.Second), now.Sub(c.used).Round(time.Second), a)
}

// revoke revokes a held refresh token (RFC 7009), then checks it no longer
// refreshes.
func (d *driver) revoke(rng *rand.Rand) string {
	c := d.take(rng)
	if c == nil {
		d.count("password", d.passwordGrant(rng))
		return ""
	}
	sec := d.cfg.secret(c.client)
	a := d.post("/connect/revocation", url.Values{"token": {c.token}, "token_type_hint": {"refresh_token"}}, c.client, sec)
	if a.status != http.StatusOK {
		return d.unexpected("revocation: %v", a)
	}
	a = d.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.token}}, c.client, sec)
	if a.status != http.StatusBadRequest || a.str("error") != "invalid_grant" {
		return d.unexpected("refresh after revocation: %v", a)
	}
	return kindOK
}

// wrongSecret: a known client with a wrong secret (RFC 6749 §5.2).
func (d *driver) wrongSecret(*rand.Rand) string {
	a := d.postFrom(d.attacker, "/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"tgrt_" + randomString()}},
		clientApp, randomString())
	return d.refused("wrong client secret", a, http.StatusUnauthorized, "invalid_client")
}

func (d *driver) garbageCode(*rand.Rand) string {
	a := d.postFrom(d.attacker, "/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {"tgac_" + randomString()},
		"redirect_uri": {redirectURI}, "code_verifier": {randomString()}}, clientWeb, d.cfg.secret(clientWeb))
	return d.refused("garbage code", a, http.StatusBadRequest, "invalid_grant")
}

func (d *driver) garbageRefresh(*rand.Rand) string {
	a := d.postFrom(d.attacker, "/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"tgrt_" + randomString()}},
		clientApp, d.cfg.secret(clientApp))
	return d.refused("garbage refresh token", a, http.StatusBadRequest, "invalid_grant")
}

// replay rotates a held chain twice, then presents the first token again:
// reuse detection must refuse it and revoke the grant, so the newest token
// is refused too (RFC 9700 §4.14.2).
func (d *driver) replay(rng *rand.Rand) string {
	c := d.take(rng)
	if c == nil {
		d.count("password", d.passwordGrant(rng))
		return ""
	}
	sec := d.cfg.secret(c.client)
	old, tok := c.token, c.token
	for range 2 {
		now := time.Now()
		a := d.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}, c.client, sec)
		if a.status != http.StatusOK {
			if a.status == http.StatusBadRequest && d.mayHaveExpired(c, now) {
				return kindExpired
			}
			return d.unexpected("refresh before a replay: %v", a)
		}
		tok, c.used = a.str("refresh_token"), now
	}
	a := d.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old}}, c.client, sec)
	if k := d.refused("replayed refresh token", a, http.StatusBadRequest, "invalid_grant"); k != kindRefused {
		return k
	}
	a = d.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}, c.client, sec)
	return d.refused("newest token after a replay", a, http.StatusBadRequest, "invalid_grant")
}

// wrongPassword uses unknown usernames only, so the users the good traffic
// signs in with are never throttled by it.
func (d *driver) wrongPassword(rng *rand.Rand) string {
	a := d.postFrom(d.attacker, "/connect/token", url.Values{"grant_type": {"password"}, "username": {"soak-intruder-" + randomString()[:6]},
		"password": {randomString()}, "scope": {"openid"}}, clientApp, d.cfg.secret(clientApp))
	return d.refused("wrong password", a, http.StatusBadRequest, "invalid_grant")
}

// unknownClient: an authorization request for a client that does not exist
// gets an error page, never a redirect (RFC 6749 §4.1.2.1).
func (d *driver) unknownClient(*rand.Rand) string {
	q := url.Values{"client_id": {"soak-nobody"}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "state": {randomString()}}
	a, _ := d.get(d.attacker, d.cfg.Issuer+"/connect/authorize?"+q.Encode())
	if a.header != nil && a.header.Get("Location") != "" {
		return d.unexpected("unknown client was redirected to %q", a.header.Get("Location"))
	}
	return d.refused("unknown client", a, http.StatusBadRequest, "")
}
