package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// dpopKey is a client's DPoP key pair, with go-jose building its proofs
// (RFC 9449 §4.2) the way a client library does, and the last server
// nonce it was handed.
type dpopKey struct {
	t      *testing.T
	tb     testing.TB // t, or a benchmark's b
	e      *env
	key    *ecdsa.PrivateKey
	signer jose.Signer
	jkt    string
	nonce  string
}

func newDPoPKey(t *testing.T, e *env) *dpopKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		panic(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		panic(err)
	}
	// A benchmark passes a nil t and sets tb itself.
	return &dpopKey{t: t, tb: t, e: e, key: key, signer: s, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proof is a fresh proof for method and url; accessToken, when set, goes
// into ath (§7).
func (k *dpopKey) proof(method, u, accessToken string) string {
	k.tb.Helper()
	c := map[string]any{"jti": randomString(), "htm": method, "htu": u, "iat": k.e.clk.Now().Unix()}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if k.nonce != "" {
		c["nonce"] = k.nonce
	}
	raw, _ := json.Marshal(c)
	jws, err := k.signer.Sign(raw)
	if err != nil {
		k.tb.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		k.tb.Fatal(err)
	}
	return out
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// token posts form to the token endpoint as client app with proofs (none
// when proofs is empty) and keeps the answer's nonce. Like a real DPoP
// client, it retries once when the server asks for a nonce (§8).
func (k *dpopKey) token(form url.Values, proofs ...string) response {
	k.t.Helper()
	r := k.e.postWith("/connect/token", form, "app", secretApp, proofs...)
	if n := r.Header.Get("DPoP-Nonce"); n != "" {
		k.nonce = n
	}
	if r.str("error") == "use_dpop_nonce" && len(proofs) == 1 {
		return k.token(form, k.proof("POST", k.e.tokenURL(), ""))
	}
	return r
}

// postWith is post with DPoP headers.
func (e *env) postWith(path string, form url.Values, user, pass string, proofs ...string) response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return e.do(req)
}

// userinfo calls userinfo with the token in the given scheme and proofs.
func (e *env) userinfoWith(scheme, token string, proofs ...string) response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/connect/userinfo", nil)
	req.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return e.do(req)
}

// accessClaims verifies an access token against the server's published
// JWKS with go-jose, as a resource server would, and returns its claims.
func (e *env) accessClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	res, err := http.Get(e.issuer + "/.well-known/openid-configuration/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.Claims(set, &claims); err != nil {
		t.Fatalf("access token does not verify with the JWKS: %v", err)
	}
	return claims
}

func passwordForm() url.Values {
	return url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePW}, "scope": {"openid profile offline_access"}}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

func wantBound(t *testing.T, e *env, r response, k *dpopKey) {
	t.Helper()
	wantOK(t, r)
	if r.str("token_type") != "DPoP" {
		t.Fatalf("token_type %q, want DPoP", r.str("token_type"))
	}
	cnf, _ := e.accessClaims(t, r.str("access_token"))["cnf"].(map[string]any)
	if cnf["jkt"] != k.jkt {
		t.Fatalf("cnf %v, want jkt %s", cnf, k.jkt)
	}
}

// TestDPoPBoundChain: a confidential client signs in with a DPoP proof;
// its access tokens carry cnf.jkt and its refresh tokens need its key. A
// thief holding the refresh token (and even the client's secret) but not
// the key is refused, and the client carries on.
func TestDPoPBoundChain(t *testing.T) {
	e := start(t)
	k := newDPoPKey(t, e)
	r := k.token(passwordForm(), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	at, rt := r.str("access_token"), r.str("refresh_token")
	if rt == "" {
		t.Fatal("no refresh token")
	}

	// Userinfo: DPoP scheme, proof with ath, by the bound key.
	ui := e.userinfoWith("DPoP", at, k.proof("GET", e.issuer+"/connect/userinfo", at))
	if ui.Status != 200 || ui.str("sub") != "sub-alice" {
		t.Fatalf("userinfo with DPoP: %d %s", ui.Status, ui.Raw)
	}
	// §7.1: a bound token as Bearer is refused, with a DPoP challenge.
	ui = e.userinfoWith("Bearer", at)
	if ui.Status != 401 || !strings.HasPrefix(ui.Header.Get("WWW-Authenticate"), "DPoP ") || !strings.Contains(ui.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("bound token as Bearer: %d %q %s", ui.Status, ui.Header.Get("WWW-Authenticate"), ui.Raw)
	}
	thief := newDPoPKey(t, e)
	for name, proof := range map[string]string{
		"another key":       thief.proof("GET", e.issuer+"/connect/userinfo", at),
		"no ath":            k.proof("GET", e.issuer+"/connect/userinfo", ""),
		"the token's htu":   k.proof("GET", e.tokenURL(), at),
		"the wrong method":  k.proof("POST", e.issuer+"/connect/userinfo", at),
		"another token ath": k.proof("GET", e.issuer+"/connect/userinfo", at+"x"),
	} {
		ui = e.userinfoWith("DPoP", at, proof)
		if ui.Status != 401 || !strings.Contains(ui.Header.Get("WWW-Authenticate"), `error="invalid_dpop_proof"`) ||
			!strings.Contains(ui.Header.Get("WWW-Authenticate"), `algs="ES256`) {
			t.Fatalf("userinfo, %s: %d %q", name, ui.Status, ui.Header.Get("WWW-Authenticate"))
		}
	}
	if ui = e.userinfoWith("DPoP", at); ui.Status != 401 {
		t.Fatalf("DPoP scheme without a proof: %d", ui.Status)
	}

	// Introspection says what the token is bound to (§6.2).
	in := e.post("/connect/introspect", url.Values{"token": {at}}, "app", secretApp)
	if cnf, _ := in.Body["cnf"].(map[string]any); in.Body["active"] != true || in.str("token_type") != "DPoP" || cnf["jkt"] != k.jkt {
		t.Fatalf("introspection of a bound token: %s", in.Raw)
	}

	// The chain, each link with a fresh proof.
	for range 3 {
		r = k.token(refreshForm(rt), k.proof("POST", e.tokenURL(), ""))
		wantBound(t, e, r, k)
		rt = r.str("refresh_token")
	}

	// The thief, holding the refresh token and the client's secret.
	wantError(t, k.token(refreshForm(rt)), 400, "invalid_grant")
	wantError(t, thief.token(refreshForm(rt), thief.proof("POST", e.tokenURL(), "")), 400, "invalid_grant")
	if !strings.Contains(e.logs.String(), "event=refresh_token_dpop_mismatch") {
		t.Fatal("no audit event for the refused refresh")
	}
	// Nothing changed: the client carries on with its own key, from the
	// very token the thief presented (not a retry, not a reuse).
	r = k.token(refreshForm(rt), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	rt = r.str("refresh_token")

	// A proof is good for one request (§11.1), and one DPoP header only.
	p := k.proof("POST", e.tokenURL(), "")
	r = k.token(refreshForm(rt), p)
	wantBound(t, e, r, k)
	rt = r.str("refresh_token")
	wantError(t, k.token(refreshForm(rt), p), 400, "invalid_dpop_proof")
	wantError(t, k.token(refreshForm(rt), k.proof("POST", e.tokenURL(), ""), k.proof("POST", e.tokenURL(), "")), 400, "invalid_dpop_proof")
	// A proof for another endpoint is refused.
	wantError(t, k.token(refreshForm(rt), k.proof("POST", e.issuer+"/connect/par", "")), 400, "invalid_dpop_proof")
	wantBound(t, e, k.token(refreshForm(rt), k.proof("POST", e.tokenURL(), "")), k)
}

// TestDPoPUnboundGrantAndOptOut: a grant started without a proof stays
// unbound (a proof on refresh binds the access token only), and a client
// with dpop_bound_refresh_tokens: false gets bound access tokens but
// unbound refresh tokens.
func TestDPoPUnboundGrantAndOptOut(t *testing.T) {
	off := false
	e := startWith(t, func(c *config.Config) {
		c.Clients[0].DPoPBoundRefreshTokens = &off // app
	})
	k := newDPoPKey(t, e)
	r := k.token(passwordForm(), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	// Unbound refresh token: refreshed without a proof, as Bearer.
	r = k.token(refreshForm(r.str("refresh_token")))
	wantOK(t, r)
	if r.str("token_type") != "Bearer" {
		t.Fatalf("token_type %q without a proof", r.str("token_type"))
	}
	if _, ok := e.accessClaims(t, r.str("access_token"))["cnf"]; ok {
		t.Fatal("cnf in an access token issued without a proof")
	}
	// A proof on the refresh of an unbound grant binds the access token.
	r = k.token(refreshForm(r.str("refresh_token")), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	wantOK(t, k.token(refreshForm(r.str("refresh_token"))))
}

// TestRequireDPoP: a client with require_dpop gets nothing without a proof.
func TestRequireDPoP(t *testing.T) {
	e := startWith(t, func(c *config.Config) { c.Clients[0].RequireDPoP = true })
	k := newDPoPKey(t, e)
	wantError(t, k.token(passwordForm()), 400, "invalid_dpop_proof")
	wantBound(t, e, k.token(passwordForm(), k.proof("POST", e.tokenURL(), "")), k)
	var meta map[string]any
	res, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_ = json.NewDecoder(res.Body).Decode(&meta)
	if algs, _ := meta["dpop_signing_alg_values_supported"].([]any); len(algs) == 0 || algs[0] != "ES256" {
		t.Fatalf("dpop_signing_alg_values_supported = %v", meta["dpop_signing_alg_values_supported"])
	}
}

// TestDPoPNonceRotationAndRestart: with server nonces on, a bound chain
// carries on across nonce rotation and a restart of the server on the
// same database and system secret (the nonce key is derived from it, so
// a nonce handed out before the restart is still good after it).
func TestDPoPNonceRotationAndRestart(t *testing.T) {
	nonces := func(c *config.Config) { c.DPoP.Nonce = true }
	e := startWith(t, nonces)
	k := newDPoPKey(t, e)
	// First request without a nonce: use_dpop_nonce, with a DPoP-Nonce header.
	first := e.postWith("/connect/token", passwordForm(), "app", secretApp, k.proof("POST", e.tokenURL(), ""))
	wantError(t, first, 400, "use_dpop_nonce")
	if first.Header.Get("DPoP-Nonce") == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	r := k.token(passwordForm(), k.proof("POST", e.tokenURL(), "")) // retries with the nonce
	wantBound(t, e, r, k)
	rt := r.str("refresh_token")
	if r.Header.Get("DPoP-Nonce") == "" {
		t.Fatal("a successful answer carries no DPoP-Nonce")
	}
	// A forged nonce is refused.
	saved := k.nonce
	k.nonce = base64.RawURLEncoding.EncodeToString(make([]byte, 24))
	wantError(t, e.postWith("/connect/token", refreshForm(rt), "app", secretApp, k.proof("POST", e.tokenURL(), "")), 400, "use_dpop_nonce")
	k.nonce = saved

	// Rotation: eleven minutes on, the nonce is two slots old; the client
	// is told, picks up the new one, and its chain goes on.
	e.clk.Add(11 * time.Minute)
	stale := e.postWith("/connect/token", refreshForm(rt), "app", secretApp, k.proof("POST", e.tokenURL(), ""))
	wantError(t, stale, 400, "use_dpop_nonce")
	r = k.token(refreshForm(rt), k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	rt = r.str("refresh_token")

	// Restart: the nonce from before is still accepted at once (no
	// use_dpop_nonce round), and the bound chain goes on.
	e.restart(nonces)
	r = e.postWith("/connect/token", refreshForm(rt), "app", secretApp, k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	rt = r.str("refresh_token")
	// After the restart too, the key is still required.
	wantError(t, e.postWith("/connect/token", refreshForm(rt), "app", secretApp), 400, "invalid_grant")
	k.nonce = r.Header.Get("DPoP-Nonce")
	wantBound(t, e, k.token(refreshForm(rt), k.proof("POST", e.tokenURL(), "")), k)
}

// TestDPoPCodeBinding: dpop_jkt at the authorization endpoint, and a DPoP
// proof at PAR, bind the code to a key (RFC 9449 §10); the exchange needs
// a proof by that key, and the grant it starts is bound to it.
func TestDPoPCodeBinding(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	k := newDPoPKey(t, e)
	other := newDPoPKey(t, e)

	// dpop_jkt at the authorization endpoint.
	verifier, challenge := pkce()
	b := e.browser()
	loc, last := b.walk(e.authURL(codeRequest(challenge, map[string]string{"dpop_jkt": k.jkt})), alice())
	if loc == nil {
		t.Fatalf("the flow ended on a page: %d %s", last.Status, last.Body)
	}
	code := loc.Query().Get("code")
	ex := func(code, verifier string, proofs ...string) response {
		return k.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {"https://app.example/cb"}, "code_verifier": {verifier}}, proofs...)
	}
	// Without a proof, and with another key: refused, and the code is not used up.
	wantError(t, ex(code, verifier), 400, "invalid_grant")
	wantError(t, ex(code, verifier, other.proof("POST", e.tokenURL(), "")), 400, "invalid_grant")
	r := ex(code, verifier, k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
	wantError(t, k.token(refreshForm(r.str("refresh_token")), other.proof("POST", e.tokenURL(), "")), 400, "invalid_grant")
	// A malformed dpop_jkt goes back to the client as invalid_request.
	_, ch2 := pkce()
	loc, _ = b.walk(e.authURL(codeRequest(ch2, map[string]string{"dpop_jkt": "short"})), alice())
	if loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("malformed dpop_jkt: %v", loc)
	}

	// A proof at PAR (web requires PAR).
	v3, ch3 := pkce()
	form := url.Values{"client_id": {"web"}, "redirect_uri": {"https://web.example/cb"}, "response_type": {"code"},
		"scope": {"openid offline_access"}, "state": {"s"}, "code_challenge": {ch3}, "code_challenge_method": {"S256"}}
	// A dpop_jkt that is not the proof's key is refused (§10.1).
	bad := cloneForm(form)
	bad.Set("dpop_jkt", other.jkt)
	wantError(t, e.postWith("/connect/par", bad, "web", secretWeb, k.proof("POST", e.issuer+"/connect/par", "")), 400, "invalid_dpop_proof")
	// A proof for the token endpoint is not one for PAR.
	wantError(t, e.postWith("/connect/par", form, "web", secretWeb, k.proof("POST", e.tokenURL(), "")), 400, "invalid_dpop_proof")
	pr := e.postWith("/connect/par", form, "web", secretWeb, k.proof("POST", e.issuer+"/connect/par", ""))
	if pr.Status != http.StatusCreated {
		t.Fatalf("PAR with DPoP: %d %s", pr.Status, pr.Raw)
	}
	loc, last = b.walk(e.issuer+"/connect/authorize?client_id=web&request_uri="+url.QueryEscape(pr.str("request_uri")), alice())
	if loc == nil {
		t.Fatalf("the flow ended on a page: %d %s", last.Status, last.Body)
	}
	// x/oauth2 cannot send a DPoP header: its exchange is refused.
	conf := e.oauth2Config("web", secretWeb)
	conf.RedirectURL = "https://web.example/cb"
	_, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v3))
	wantRetrieveError(t, err, "invalid_grant")
	r = e.postWith("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {"https://web.example/cb"}, "code_verifier": {v3}}, "web", secretWeb, k.proof("POST", e.tokenURL(), ""))
	wantBound(t, e, r, k)
}
