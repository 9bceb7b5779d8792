package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

func TestDiscoveryAndJWKS(t *testing.T) {
	e := start(t)
	get := func(path string) response {
		req, _ := http.NewRequest(http.MethodGet, e.issuer+path, nil)
		return e.do(req)
	}
	d := get("/.well-known/openid-configuration")
	wantOK(t, d)
	for k, want := range map[string]string{
		"issuer": e.issuer, "token_endpoint": e.issuer + "/connect/token",
		"jwks_uri": e.issuer + "/.well-known/openid-configuration/jwks", "revocation_endpoint": e.issuer + "/connect/revocation",
		"introspection_endpoint": e.issuer + "/connect/introspect", "userinfo_endpoint": e.issuer + "/connect/userinfo",
	} {
		if d.str(k) != want {
			t.Errorf("%s = %q, want %q", k, d.str(k), want)
		}
	}
	m := get("/.well-known/oauth-authorization-server")
	wantOK(t, m)
	if m.str("issuer") != e.issuer || m.str("token_endpoint") != d.str("token_endpoint") {
		t.Fatalf("RFC 8414 metadata disagrees: %s", m.Raw)
	}
	// Every advertised grant works: each is exercised in these tests.
	var grants []string
	for _, g := range d.Body["grant_types_supported"].([]any) {
		grants = append(grants, g.(string))
	}
	if strings.Join(grants, " ") != "authorization_code password client_credentials refresh_token" {
		t.Fatalf("grant_types_supported %v", grants)
	}
	j := get("/.well-known/openid-configuration/jwks")
	wantOK(t, j)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(j.Raw), &set); err != nil || len(set.Keys) < 2 {
		t.Fatalf("jwks: %v %s", err, j.Raw)
	}
	algs := map[string]bool{}
	for _, k := range set.Keys {
		if k.KeyID == "" || k.Use != "sig" || !k.IsPublic() {
			t.Fatalf("key %+v: want kid, use=sig, public only", k)
		}
		algs[k.Algorithm] = true
	}
	if !algs["RS256"] || !algs["ES256"] {
		t.Fatalf("jwks algorithms %v", algs)
	}
	if strings.Contains(j.Raw, `"d"`) {
		t.Fatal("JWKS leaks a private key")
	}
}

func TestAccessTokenIsRFC9068JWT(t *testing.T) {
	e := start(t)
	r := e.passwordGrant("app", secretApp, "openid api")
	wantOK(t, r)
	// ES256 by default: resource servers read access tokens, and OIDC
	// fixes no algorithm for them (the ID token stays RS256).
	tok, err := jwt.ParseSigned(r.str("access_token"), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if typ := tok.Headers[0].ExtraHeaders["typ"]; typ != "at+jwt" {
		t.Fatalf("typ %v, want at+jwt", typ)
	}
	var c map[string]any
	_ = tok.UnsafeClaimsWithoutVerification(&c)
	for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"} {
		if c[k] == nil {
			t.Errorf("access token lacks %s: %v", k, c)
		}
	}
	// The user's current claims travel in the access token too (RFC 9068 §2.2.3.1).
	if c["client_id"] != "app" || c["scope"] != "openid api" || c["sub"] != "sub-alice" || c["hpr_number"] != "123456" || c["name"] != nil {
		t.Fatalf("claims %v", c)
	}
	if exp := int64(c["exp"].(float64)) - int64(c["iat"].(float64)); exp != 300 || r.Body["expires_in"] != float64(300) {
		t.Fatalf("access token lives %d s, expires_in %v; want 300", exp, r.Body["expires_in"])
	}
}

func TestRevocation(t *testing.T) {
	e := start(t)
	rt := e.passwordGrant("app", secretApp, "openid offline_access").str("refresh_token")
	at := e.passwordGrant("app", secretApp, "openid").str("access_token")
	revoke := func(tok, client, secret string) response {
		return e.post("/connect/revocation", url.Values{"token": {tok}}, client, secret)
	}
	// Another client's attempt: 200, nothing changes (RFC 7009 §2.2).
	r := e.post("/connect/revocation", url.Values{"token": {rt}, "client_id": {"app2"}, "client_secret": {secretApp2}}, "", "")
	wantOK(t, r)
	next := e.refreshGrant("app", secretApp, rt)
	wantOK(t, next)
	rt = next.str("refresh_token")
	wantOK(t, revoke("tgrt_unknownunknownunknownunknownunknownunknow", "app", secretApp))
	wantOK(t, revoke("garbage", "app", secretApp))
	wantError(t, revoke(at, "app", secretApp), 400, "unsupported_token_type")
	wantOK(t, revoke(rt, "app", secretApp))
	wantError(t, e.refreshGrant("app", secretApp, rt), 400, "invalid_grant")
	wantError(t, revoke(rt, "app", "wrong-secret-wrong-secret-wrong-secret-xx"), 401, "invalid_client")
	wantError(t, e.post("/connect/revocation", url.Values{}, "app", secretApp), 400, "invalid_request")
}

func TestIntrospection(t *testing.T) {
	e := start(t)
	g := e.passwordGrant("app", secretApp, "openid offline_access")
	rt, at := g.str("refresh_token"), g.str("access_token")
	in := func(tok, client, secret string) response {
		return e.post("/connect/introspect", url.Values{"token": {tok}}, client, secret)
	}
	r := in(rt, "app", secretApp)
	wantOK(t, r)
	if r.Body["active"] != true || r.str("client_id") != "app" || r.str("sub") != "sub-alice" ||
		r.str("scope") != "openid offline_access" || r.str("token_type") != "refresh_token" || r.Body["exp"] == nil || r.Body["iat"] == nil {
		t.Fatalf("refresh token introspection: %s", r.Raw)
	}
	r = in(at, "app2", secretApp2) // a resource server may check any access token
	if r.Body["active"] != true || r.str("client_id") != "app" || r.str("token_type") != "Bearer" {
		t.Fatalf("access token introspection: %s", r.Raw)
	}
	if r := in(rt, "app2", secretApp2); r.Raw != `{"active":false}` {
		t.Fatalf("another client's refresh token: %s", r.Raw)
	}
	for _, tok := range []string{"nonsense", "tgrt_x", at + "x"} {
		if r := in(tok, "app", secretApp); r.Raw != `{"active":false}` {
			t.Fatalf("%q: %s", tok, r.Raw)
		}
	}
	wantError(t, in(rt, "", ""), 401, "invalid_client")
	wantError(t, e.post("/connect/introspect", url.Values{"token": {rt}, "client_id": {"spa"}}, "", ""), 401, "invalid_client")
	e.clk.Add(6 * time.Minute)
	if r := in(at, "app", secretApp); r.Raw != `{"active":false}` {
		t.Fatalf("expired access token: %s", r.Raw)
	}
}

func TestUserinfo(t *testing.T) {
	e := start(t)
	at := e.passwordGrant("app", secretApp, "openid profile").str("access_token")
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	r := e.do(req)
	wantOK(t, r)
	if r.str("sub") != "sub-alice" || r.str("name") != "Alice Nordmann" || r.Body["email"] != nil {
		t.Fatalf("userinfo for openid profile: %s", r.Raw)
	}
	// POST with the token in the body works too (RFC 6750 §2.2).
	r = e.post("/connect/userinfo", url.Values{"access_token": {at}}, "", "")
	wantOK(t, r)
	req, _ = http.NewRequest(http.MethodGet, e.issuer+"/connect/userinfo", nil)
	r = e.do(req)
	if ch := r.Header.Get("WWW-Authenticate"); r.Status != 401 || !strings.HasPrefix(ch, "Bearer") || strings.Contains(ch, "error=") {
		t.Fatalf("no token: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
	}
	req.Header.Set("Authorization", "Bearer "+at+"x")
	r = e.do(req)
	if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("bad token: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
	}
	noOpenID := e.post("/connect/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}}, "app", secretApp).str("access_token")
	req.Header.Set("Authorization", "Bearer "+noOpenID)
	if r = e.do(req); r.Status != 403 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("token without openid: %d %s", r.Status, r.Raw)
	}
}

// assertion builds a private_key_jwt client assertion (RFC 7523 §3).
func (e *env) assertion(t *testing.T, jti string, aud string, exp time.Duration) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: e.jwtKey, KeyID: "k1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	s, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: "jwt", Subject: "jwt", Audience: jwt.Audience{aud}, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(exp))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPrivateKeyJWT(t *testing.T) {
	e := start(t)
	grant := func(assertion string) response {
		return e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW},
			"scope":                 {"openid offline_access"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}, "", "")
	}
	a := e.assertion(t, "jti-1", e.tokenURL(), 50*time.Second)
	r := grant(a)
	wantOK(t, r)
	if r.str("refresh_token") == "" {
		t.Fatal("private_key_jwt client got no refresh token")
	}
	wantError(t, grant(a), 401, "invalid_client") // jti replay
	wantOK(t, grant(e.assertion(t, "jti-2", e.issuer, 50*time.Second)))
	wantError(t, grant(e.assertion(t, "jti-3", "https://elsewhere.example", 50*time.Second)), 401, "invalid_client")
	wantError(t, grant(e.assertion(t, "jti-4", e.tokenURL(), 10*time.Minute)), 401, "invalid_client")
	wantError(t, grant("not.a.jwt"), 401, "invalid_client")
}

// newCode stores an authorization code the way the authorize endpoint will.
func (e *env) newCode(t *testing.T, c store.AuthCode) string {
	t.Helper()
	code := mint.NewCode()
	c.Hash = mint.HashToken(code)
	c.CreatedAt, c.ExpiresAt, c.AuthTime = e.clk.Now(), e.clk.Now().Add(time.Minute), e.clk.Now()
	if c.Subject == "" {
		c.Subject = "sub-alice"
	}
	if err := e.app.Store.CreateAuthCode(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return code
}

func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestAuthorizationCodeExchange(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	verifier, challenge := pkce()
	code := e.newCode(t, store.AuthCode{ClientID: "app", RedirectURI: "https://app.example/cb", Nonce: "n-1",
		CodeChallenge: challenge, CodeChallengeMethod: "S256", Scopes: []string{"openid", "offline_access"}, SessionID: "sid-1", AMR: []string{"pwd"}})
	conf := e.oauth2Config("app", secretApp)
	conf.RedirectURL = "https://app.example/cb"
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, err := e.verifier("app").Verify(ctx, tok.Extra("id_token").(string))
	if err != nil || idt.Nonce != "n-1" {
		t.Fatalf("ID token: %v nonce %q", err, idt.Nonce)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token from the code flow with offline_access")
	}
	// RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant")
	wantError(t, e.refreshGrant("app", secretApp, tok.RefreshToken), 400, "invalid_grant")

	// PKCE and binding failures.
	v2, c2 := pkce()
	mk := func() string {
		return e.newCode(t, store.AuthCode{ClientID: "app", RedirectURI: "https://app.example/cb", CodeChallenge: c2, CodeChallengeMethod: "S256", Scopes: []string{"openid"}})
	}
	ex := func(code, redirect, verifier, client, secret string) response {
		return e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}, client, secret)
	}
	wantError(t, ex(mk(), "https://app.example/cb", verifier, "app", secretApp), 400, "invalid_grant")
	wantError(t, ex(mk(), "https://app.example/cb", "", "app", secretApp), 400, "invalid_grant")
	wantError(t, ex(mk(), "https://app.example/other", v2, "app", secretApp), 400, "invalid_grant")
	wantError(t, ex(mk(), "https://app.example/cb", v2, "app2", secretApp2), 400, "unauthorized_client")
	// A client allowed the grant, presenting another client's code.
	wantError(t, ex(mk(), "https://app.example/cb", v2, "web", secretWeb), 400, "invalid_grant")
	expired := mk()
	e.clk.Add(61 * time.Second)
	wantError(t, ex(expired, "https://app.example/cb", v2, "app", secretApp), 400, "invalid_grant")
	wantOK(t, ex(mk(), "https://app.example/cb", v2, "app", secretApp))
}

// TestPublicClientNeverGetsARefreshToken: whatever it asks for.
func TestPublicClientNeverGetsARefreshToken(t *testing.T) {
	e := start(t)
	verifier, challenge := pkce()
	code := e.newCode(t, store.AuthCode{ClientID: "spa", RedirectURI: "https://spa.example/cb",
		CodeChallenge: challenge, CodeChallengeMethod: "S256", Scopes: []string{"openid", "offline_access"}})
	r := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"spa"},
		"redirect_uri": {"https://spa.example/cb"}, "code_verifier": {verifier}}, "", "")
	wantOK(t, r)
	if r.str("refresh_token") != "" || strings.Contains(r.str("scope"), "offline_access") {
		t.Fatalf("public client got offline access: %s", r.Raw)
	}
	wantError(t, e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"tgrt_x"}, "client_id": {"spa"}}, "", ""), 400, "unauthorized_client")
}

// TestCORS: a browser app may call the token endpoint from the origin of
// its redirect URI; no other origin may read the answer.
func TestCORS(t *testing.T) {
	e := start(t)
	preflight := func(origin string) response {
		req, _ := http.NewRequest(http.MethodOptions, e.tokenURL(), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		return e.do(req)
	}
	r := preflight("https://spa.example")
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://spa.example" || !strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight from a registered origin: %d %v", r.Status, r.Header)
	}
	if r := preflight("https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from an unknown origin allowed: %v", r.Header)
	}
	req, _ := http.NewRequest(http.MethodPost, e.tokenURL(), strings.NewReader("grant_type=refresh_token&refresh_token=x&client_id=spa"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://spa.example")
	r = e.do(req)
	if r.Header.Get("Access-Control-Allow-Origin") != "https://spa.example" || r.Status != 400 {
		t.Fatalf("error answer not readable by the app: %d %v", r.Status, r.Header)
	}
	// A 429's Retry-After and a 401's challenge must be readable from JavaScript too.
	if ex := r.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(ex, "Retry-After") || !strings.Contains(ex, "WWW-Authenticate") {
		t.Fatalf("Access-Control-Expose-Headers = %q", ex)
	}
}
