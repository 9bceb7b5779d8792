package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestHelseIDProfile: a client configured with nothing but `profile:
// helseid`, its keys at a jwks_uri, its redirect URI, scopes and resources
// runs the whole high-assurance flow on the real server, with server
// nonces on: private_key_jwt assertions, a signed request object pushed to
// PAR with a DPoP proof (binding the code), PKCE, a code redeemed for one
// API with a DPoP-bound access token, and refreshes that need the key and
// buy a token for the other API. What the profile rules out is refused:
// the password grant, an authorization request not pushed, an unsigned
// push, a refresh without a proof or by another key, an API not granted.
func TestHelseIDProfile(t *testing.T) {
	h := newHiClient(t)
	e := startWith(t, func(c *config.Config) {
		withAPIs(c)
		c.DPoP.Nonce = true
		c.Clients = append(c.Clients, config.Client{ID: "hi", Profile: config.ProfileHelseID,
			JWKSURI: h.srv.URL + "/jwks.json", RedirectURIs: []string{hiRedirect},
			Scopes:             []string{"openid", "offline_access", "fhir.read", "journal.read"},
			AllowOfflineAccess: true, Resources: []string{apiFHIR, apiJournal}})
	})
	key := newDPoPKey(t, e)
	// send posts form to path with a fresh assertion and, when by is set,
	// a fresh proof by that key; asked for a nonce, it retries once with it
	// (RFC 9449 §8), as a DPoP client does.
	send := func(path string, form url.Values, by *dpopKey) response {
		t.Helper()
		for try := 0; ; try++ {
			req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(h.assert(t, e, form).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if by != nil {
				req.Header.Set("DPoP", by.proof(http.MethodPost, e.issuer+path, ""))
			}
			r := e.do(req)
			if n := r.Header.Get("DPoP-Nonce"); n != "" && by != nil {
				by.nonce = n
			}
			if r.str("error") != "use_dpop_nonce" || try > 0 {
				return r
			}
		}
	}

	// No password grant under the profile.
	wantError(t, send("/connect/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW},
		"scope": {"openid offline_access"}}, key), 400, "unauthorized_client")

	verifier, challenge := pkce()
	authz := map[string]any{"response_type": "code", "redirect_uri": hiRedirect,
		"scope": "openid offline_access fhir.read journal.read", "state": "hi-state", "nonce": "hi-nonce",
		"code_challenge": challenge, "code_challenge_method": "S256", "resource": []string{apiFHIR, apiJournal}}

	// A signed request sent to the authorization endpoint directly is not
	// pushed: refused, and no code.
	b := e.browser()
	loc, pg := b.walk(e.issuer+"/connect/authorize?client_id=hi&request="+url.QueryEscape(h.requestObject(t, e, authz)), alice())
	switch {
	case loc != nil && (loc.Query().Get("code") != "" || loc.Query().Get("error") != "invalid_request"):
		t.Fatalf("an authorization request not pushed ended at %s", loc)
	case loc == nil && (pg.Status != http.StatusBadRequest || !strings.Contains(pg.Body, "PAR")):
		t.Fatalf("an authorization request not pushed: page %d %s", pg.Status, pg.Body)
	}
	// An unsigned push is refused.
	wantError(t, send("/connect/par", url.Values{"response_type": {"code"}, "redirect_uri": {hiRedirect}, "scope": {"openid"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}, key), 400, "invalid_request")

	par := send("/connect/par", url.Values{"request": {h.requestObject(t, e, authz)}}, key)
	if par.Status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", par.Status, par.Raw)
	}
	loc, pg = e.browser().walk(e.issuer+"/connect/authorize?client_id=hi&request_uri="+url.QueryEscape(par.str("request_uri")), alice())
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("the flow ended on a page: %d %s", pg.Status, pg.Body)
	}

	// The code buys a DPoP-bound token for the FHIR API.
	tok := send("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {hiRedirect}, "code_verifier": {verifier}, "resource": {apiFHIR}}, key)
	wantBound(t, e, tok, key)
	if at := e.verifyAPIToken(tok.str("access_token")); len(at.Aud) != 1 || at.Aud[0] != apiFHIR || at.Scope != "fhir.read" {
		t.Fatalf("access token for the FHIR API: %+v", at)
	}
	rt := tok.str("refresh_token")
	if rt == "" {
		t.Fatal("no refresh token")
	}

	// The refresh token needs the key: without a proof, or with another
	// key's, it is refused, and it still works for its holder.
	refresh := func(resource string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": {resource}}
	}
	wantError(t, send("/connect/token", refresh(apiJournal), nil), 400, "invalid_dpop_proof")
	wantError(t, send("/connect/token", refresh(apiJournal), newDPoPKey(t, e)), 400, "invalid_grant")
	// An API the grant does not hold is invalid_target; the token carries on.
	wantError(t, send("/connect/token", refresh(apiOther), key), 400, "invalid_target")

	next := send("/connect/token", refresh(apiJournal), key)
	wantBound(t, e, next, key)
	e.wantAPIToken(next.str("access_token"), apiJournal, "journal.read", 2*time.Minute, "RS256")
	if next.str("refresh_token") == "" || next.str("refresh_token") == rt {
		t.Fatalf("refresh did not rotate: %s", next.Raw)
	}
}
