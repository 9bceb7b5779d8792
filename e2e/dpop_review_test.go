package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// TestUserinfoDPoPChallenges: a client that sends its access token with
// the DPoP scheme is answered in that scheme (RFC 9449 §7.1): an expired
// or unknown token is a 401 with WWW-Authenticate: DPoP, so a DPoP client
// library sees the challenge it parses; and a required nonce is asked for
// with use_dpop_nonce and a DPoP-Nonce header (§9).
func TestUserinfoDPoPChallenges(t *testing.T) {
	e := startWith(t, func(c *config.Config) { c.DPoP.Nonce = true })
	k := newDPoPKey(t, e)
	r := k.token(passwordForm(), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	at := r.str("access_token")
	ui := e.userinfoURL()

	// §9: no nonce in the proof: use_dpop_nonce, 401, with a nonce to use.
	saved := k.nonce
	k.nonce = ""
	res := e.userinfoWith("DPoP", at, k.proof("GET", ui, at))
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="use_dpop_nonce"`) || res.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("userinfo without a nonce: %d %q %q", res.Status, res.Header.Get("WWW-Authenticate"), res.Header.Get("DPoP-Nonce"))
	}
	k.nonce = saved
	if res = e.userinfoWith("DPoP", at, k.proof("GET", ui, at)); res.Status != 200 {
		t.Fatalf("userinfo with the nonce: %d %s", res.Status, res.Raw)
	}

	// A bound token without openid: 403 insufficient_scope, challenged in
	// the DPoP scheme the client used (RFC 9449 §7.1, RFC 6750 §3.1).
	noOpenID := passwordForm()
	noOpenID.Set("scope", "profile")
	r2 := k.token(noOpenID, k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r2, k)
	at2 := r2.str("access_token")
	res = e.userinfoWith("DPoP", at2, k.proof("GET", ui, at2))
	if res.Status != 403 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("bound token without openid: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}

	// An unknown token in the DPoP scheme: a DPoP challenge, invalid_token.
	res = e.userinfoWith("DPoP", at+"x", k.proof("GET", ui, at+"x"))
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("unknown token as DPoP: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	// An expired one too: the client refreshes on this answer.
	e.clk.Add(2 * time.Hour)
	k.nonce = ""
	res = e.userinfoWith("DPoP", at, k.proof("GET", ui, at))
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "DPoP ") ||
		!strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired token as DPoP: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
	// A bearer client still gets its Bearer challenge.
	res = e.userinfoWith("Bearer", "not-a-token")
	if res.Status != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("unknown token as Bearer: %d %q", res.Status, res.Header.Get("WWW-Authenticate"))
	}
}

func (e *env) userinfoURL() string { return e.issuer + "/connect/userinfo" }

// TestDPoPNonceRetryKeepsSignedRequest: with server nonces on, a client's
// first push carries no nonce and is told use_dpop_nonce (RFC 9449 §8). It
// sends the same request again with a proof holding the nonce, as DPoP
// client libraries do: the same signed request object, and the same client
// assertion. Asking for a nonce must not have used up either one's jti,
// or the retry the server asked for is refused as a replay.
func TestDPoPNonceRetryKeepsSignedRequest(t *testing.T) {
	h := newHiClient(t)
	e := startWith(t, func(c *config.Config) {
		withAPIs(c)
		c.DPoP.Nonce = true
		c.Clients = append(c.Clients, config.Client{ID: "hi", Profile: config.ProfileHelseID,
			JWKSURI: h.srv.URL + "/jwks.json", RedirectURIs: []string{hiRedirect},
			Scopes:             []string{"openid", "offline_access", "fhir.read"},
			AllowOfflineAccess: true, Resources: []string{apiFHIR}})
	})
	key := newDPoPKey(t, e)
	_, challenge := pkce()
	form := h.assert(t, e, url.Values{"request": {h.requestObject(t, e, map[string]any{"response_type": "code",
		"redirect_uri": hiRedirect, "scope": "openid offline_access fhir.read", "state": "s", "nonce": "n",
		"code_challenge": challenge, "code_challenge_method": "S256", "resource": apiFHIR})}})
	push := func() response {
		req, _ := http.NewRequest(http.MethodPost, e.issuer+"/connect/par", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", key.proof(http.MethodPost, e.issuer+"/connect/par", ""))
		return e.do(req)
	}
	first := push()
	wantError(t, first, 400, "use_dpop_nonce")
	key.nonce = first.Header.Get("DPoP-Nonce")
	if key.nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	if again := push(); again.Status != http.StatusCreated {
		t.Fatalf("the push retried with the nonce: %d %s", again.Status, again.Raw)
	}
	// The token endpoint likewise: a stale nonce, then the same body
	// (assertion included) with the current one gets past client
	// authentication (the code is junk: invalid_grant, not invalid_client).
	tokenForm := h.assert(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {"junk"},
		"redirect_uri": {hiRedirect}, "code_verifier": {strings.Repeat("v", 43)}})
	tok := func() response {
		req, _ := http.NewRequest(http.MethodPost, e.tokenURL(), strings.NewReader(tokenForm.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", key.proof(http.MethodPost, e.tokenURL(), ""))
		return e.do(req)
	}
	key.nonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	wantError(t, tok(), 400, "use_dpop_nonce")
	key.nonce = first.Header.Get("DPoP-Nonce")
	wantError(t, tok(), 400, "invalid_grant")
}
