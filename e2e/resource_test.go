package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// Resource indicators (RFC 8707) of these tests: two APIs granted at
// sign-in, the journal with its own lifetime and algorithm, and a third
// the client may ask for but the user is never asked about.
const (
	apiFHIR    = "https://fhir.example/api"
	apiJournal = "urn:example:journal"
	apiOther   = "https://other.example"
)

func withAPIs(c *config.Config) {
	journalLife := 2 * time.Minute
	c.Resources = []config.Resource{
		{URI: apiFHIR, Scopes: []string{"fhir.read"}},
		{URI: apiJournal, Scopes: []string{"journal.read"}, AccessTokenLifetime: &journalLife, AccessTokenSigningAlg: "RS256"},
		{URI: apiOther, Scopes: []string{"other.read"}},
	}
	for i := range c.Clients {
		cl := &c.Clients[i]
		switch cl.ID {
		case "app", "web":
			cl.Scopes = append(slices.Clone(cl.Scopes), "fhir.read", "journal.read", "other.read")
			cl.Resources = []string{apiFHIR, apiJournal, apiOther}
		}
	}
}

// apiToken is an access token verified against the server's JWKS.
type apiToken struct {
	Alg      string
	Aud      []string
	Scope    string
	Exp, Iat int64
	Name     string
}

// verifyAPIToken checks an access token's signature with the keys at
// jwks_uri (go-oidc's remote key set, as a resource server would) and
// returns what a resource server reads from it.
func (e *env) verifyAPIToken(tok string) apiToken {
	e.t.Helper()
	ctx := context.Background()
	payload, err := oidc.NewRemoteKeySet(ctx, e.issuer+"/.well-known/openid-configuration/jwks").VerifySignature(ctx, tok)
	if err != nil {
		e.t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		e.t.Fatal(err)
	}
	var c struct {
		Aud   any    `json:"aud"`
		Scope string `json:"scope"`
		Exp   int64  `json:"exp"`
		Iat   int64  `json:"iat"`
		Name  string `json:"name"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		e.t.Fatal(err)
	}
	out := apiToken{Alg: jws.Signatures[0].Header.Algorithm, Scope: c.Scope, Exp: c.Exp, Iat: c.Iat, Name: c.Name}
	switch a := c.Aud.(type) {
	case string:
		out.Aud = []string{a}
	case []any:
		for _, s := range a {
			out.Aud = append(out.Aud, s.(string))
		}
	}
	return out
}

// wantAPIToken: aud the resource alone, its scope, lifetime and algorithm.
func (e *env) wantAPIToken(tok, aud, scope string, life time.Duration, alg string) apiToken {
	e.t.Helper()
	at := e.verifyAPIToken(tok)
	if !slices.Equal(at.Aud, []string{aud}) || at.Scope != scope || at.Exp-at.Iat != int64(life/time.Second) || at.Alg != alg {
		e.t.Fatalf("access token %+v; want aud [%s], scope %q, lifetime %v, alg %s", at, aud, scope, life, alg)
	}
	return at
}

func (e *env) refreshFor(rt string, resources ...string) response {
	e.t.Helper()
	return e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": resources}, "app", secretApp)
}

// TestResourceIndicatorsAcrossARefreshChain: sign in through the pages
// for two APIs; the code buys a token for one (x/oauth2), the refresh
// token then fetches tokens for either, one at a time, each verified
// against the JWKS; a refresh for an API not granted is invalid_target,
// and the chain carries on.
func TestResourceIndicatorsAcrossARefreshChain(t *testing.T) {
	e := startWith(t, withAPIs)
	ctx := context.Background()
	conf := e.oauth2Config("app", secretApp, "openid", "profile", "offline_access", "fhir.read", "journal.read")
	conf.RedirectURL = "https://app.example/cb"
	conf.Endpoint.AuthURL = e.issuer + "/connect/authorize"
	verifier := oauth2.GenerateVerifier()
	// x/oauth2 sets one value per parameter; RFC 8707 §2.1 repeats it.
	authURL := conf.AuthCodeURL("st-r", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", apiFHIR)) +
		"&resource=" + url.QueryEscape(apiJournal)
	loc, last := e.browser().walk(authURL, alice())
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("sign-in ended on %d %s", last.Status, last.Body)
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", apiFHIR))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	at := e.wantAPIToken(tok.AccessToken, apiFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
	if at.Name != "" || tok.Extra("scope") != "fhir.read" {
		t.Fatalf("the API token carries a profile claim %q or the response scope is %v", at.Name, tok.Extra("scope"))
	}
	// The ID token is as ever, for the client.
	if _, err := e.verifier("app").Verify(ctx, tok.Extra("id_token").(string)); err != nil {
		t.Fatalf("ID token: %v", err)
	}

	rt := tok.RefreshToken
	journal := e.refreshFor(rt, apiJournal)
	wantOK(t, journal)
	e.wantAPIToken(journal.str("access_token"), apiJournal, "journal.read", 2*time.Minute, "RS256")
	if journal.str("scope") != "journal.read" || journal.Body["expires_in"] != float64(120) {
		t.Fatalf("journal response: %s", journal.Raw)
	}
	rt = journal.str("refresh_token")

	// Outside the grant, or two at once: invalid_target, nothing changes.
	wantError(t, e.refreshFor(rt, apiOther), http.StatusBadRequest, "invalid_target")
	wantError(t, e.refreshFor(rt, apiFHIR, apiJournal), http.StatusBadRequest, "invalid_target")
	fhir := e.refreshFor(rt, apiFHIR)
	wantOK(t, fhir)
	e.wantAPIToken(fhir.str("access_token"), apiFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")
	rt = fhir.str("refresh_token")

	// Introspection answers aud as the token has it (RFC 8707 §2).
	in := e.post("/connect/introspect", url.Values{"token": {journal.str("access_token")}}, "app", secretApp)
	if aud, _ := in.Body["aud"].([]any); in.Body["active"] != true || len(aud) != 1 || aud[0] != apiJournal {
		t.Fatalf("introspection: %s", in.Raw)
	}
	// Without a resource, today's token: the default audience, every scope.
	plain := e.refreshFor(rt)
	wantOK(t, plain)
	if got := e.verifyAPIToken(plain.str("access_token")); slices.Contains(got.Aud, apiFHIR) || !strings.Contains(got.Scope, "openid") {
		t.Fatalf("a token without resource: %+v", got)
	}
}

// TestResourceErrorsAndOtherGrants: invalid_target at the authorization
// endpoint goes to the redirect URI; PAR carries resources; client
// credentials (x/oauth2/clientcredentials) and the password grant name one.
func TestResourceErrorsAndOtherGrants(t *testing.T) {
	e := startWith(t, withAPIs)
	ctx := context.Background()

	// Authorization endpoint: a resource the client may not ask for.
	_, challenge := pkce()
	b := e.browser()
	p := b.do("GET", e.authURL(codeRequest(challenge, map[string]string{"resource": "https://unknown.example"})), nil)
	loc, err := url.Parse(p.Location)
	if p.Status != http.StatusFound || err != nil || !strings.HasPrefix(p.Location, "https://app.example/cb") {
		t.Fatalf("got %d %q; want a redirect to the client", p.Status, p.Location)
	}
	wantParam(t, loc.Query(), "error", "invalid_target")
	wantParam(t, loc.Query(), "state", "st-1")

	// PAR: a bad resource is a JSON invalid_target; two good ones reach the code.
	push := url.Values{"response_type": {"code"}, "redirect_uri": {"https://web.example/cb"},
		"scope": {"openid offline_access fhir.read journal.read"}, "state": {"s"}, "resource": {apiFHIR, "/relative"}}
	wantError(t, e.post("/connect/par", push, "web", secretWeb), http.StatusBadRequest, "invalid_target")
	verifier, challenge := pkce()
	push.Set("code_challenge", challenge)
	push.Set("code_challenge_method", "S256")
	push["resource"] = []string{apiFHIR, apiJournal}
	pushed := e.post("/connect/par", push, "web", secretWeb)
	if pushed.Status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", pushed.Status, pushed.Raw)
	}
	loc, last := b.walk(e.authURL(map[string]string{"client_id": "web", "request_uri": pushed.str("request_uri")}), alice())
	if loc == nil {
		t.Fatalf("pushed sign-in ended on %d %s", last.Status, last.Body)
	}
	web := e.oauth2Config("web", secretWeb)
	web.RedirectURL = "https://web.example/cb"
	tok, err := web.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", apiJournal))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	e.wantAPIToken(tok.AccessToken, apiJournal, "journal.read", 2*time.Minute, "RS256")
	r := e.post("/connect/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "resource": {apiFHIR}}, "web", secretWeb)
	wantOK(t, r)
	e.wantAPIToken(r.str("access_token"), apiFHIR, "fhir.read", config.DefaultAccessTokenTTL, "ES256")

	// Client credentials, through x/oauth2's own client.
	cc := clientcredentials.Config{ClientID: "app", ClientSecret: secretApp, TokenURL: e.tokenURL(),
		EndpointParams: url.Values{"resource": {apiOther}}}
	ccTok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	e.wantAPIToken(ccTok.AccessToken, apiOther, "other.read", config.DefaultAccessTokenTTL, "ES256")
	cc.EndpointParams = url.Values{"resource": {"https://unknown.example"}}
	_, err = cc.Token(ctx)
	wantRetrieveError(t, err, "invalid_target")

	// Password grant: the one resource asked becomes the grant's.
	pw := e.post("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW},
		"scope": {"openid offline_access other.read"}, "resource": {apiOther}}, "app", secretApp)
	wantOK(t, pw)
	e.wantAPIToken(pw.str("access_token"), apiOther, "other.read", config.DefaultAccessTokenTTL, "ES256")
	wantError(t, e.refreshFor(pw.str("refresh_token"), apiFHIR), http.StatusBadRequest, "invalid_target")
	wantOK(t, e.refreshFor(pw.str("refresh_token"), apiOther))
}
