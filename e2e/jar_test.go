package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
)

// hiClient is a high-assurance client: private_key_jwt with its keys at a
// jwks_uri it serves on loopback, PAR and signed request objects required.
type hiClient struct {
	key     *ecdsa.PrivateKey
	fetches atomic.Int32
	srv     *httptest.Server
	n       int
}

const hiRedirect = "https://hi.example/cb"

func newHiClient(t *testing.T) *hiClient {
	h := &hiClient{key: must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: h.key.Public(), KeyID: "hi-1", Use: "sig", Algorithm: "ES256"}}})
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=600")
		_, _ = w.Write(set)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (h *hiClient) register(c *config.Config) {
	c.Clients = append(c.Clients, config.Client{ID: "hi", Type: "confidential", AuthMethod: "private_key_jwt",
		JWKSURI: h.srv.URL + "/jwks.json", RequirePAR: true, RequirePKCE: true, RequireSignedRequestObject: true,
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "profile", "offline_access"},
		AllowOfflineAccess: true, RedirectURIs: []string{hiRedirect}})
}

func (h *hiClient) sign(t *testing.T, typ string, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "hi-1")
	s := must(jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: h.key}, opts))
	return must(jwt.Signed(s).Claims(claims).Serialize())
}

// assert adds a fresh client assertion (typed client-authentication+jwt) to form.
func (h *hiClient) assert(t *testing.T, e *env, form url.Values) url.Values {
	h.n++
	now := e.clk.Now()
	form = cloneForm(form)
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", h.sign(t, "client-authentication+jwt", jwt.Claims{Issuer: "hi", Subject: "hi",
		Audience: jwt.Audience{e.issuer}, ID: fmt.Sprintf("as-%d", h.n), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(30 * time.Second))}))
	return form
}

// requestObject signs params as a request object (RFC 9101).
func (h *hiClient) requestObject(t *testing.T, e *env, params map[string]any) string {
	h.n++
	now := e.clk.Now()
	claims := map[string]any{"iss": "hi", "aud": e.issuer, "client_id": "hi", "jti": fmt.Sprintf("ro-%d", h.n),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(50 * time.Second).Unix()}
	for k, v := range params {
		claims[k] = v
	}
	return h.sign(t, "oauth-authz-req+jwt", claims)
}

func (h *hiClient) thumbprint() string {
	sum := must((&jose.JSONWebKey{Key: h.key.Public()}).Thumbprint(crypto.SHA256))
	return base64.RawURLEncoding.EncodeToString(sum)
}

// TestSignedRequestObjectAtPARToTokens: PAR with a signed request object,
// the browser flow to a code, the code and a refresh redeemed with
// private_key_jwt from keys at a jwks_uri; each refresh token records the
// key the client proved. A replayed request object, an unsigned push and a
// secret from this client are refused.
func TestSignedRequestObjectAtPARToTokens(t *testing.T) {
	h := newHiClient(t)
	e := startWith(t, h.register)
	ctx := context.Background()
	verifier, challenge := pkce()
	authz := map[string]any{"response_type": "code", "redirect_uri": hiRedirect, "scope": "openid offline_access",
		"state": "hi-state", "nonce": "hi-nonce", "code_challenge": challenge, "code_challenge_method": "S256"}

	// require_signed_request_object: the same parameters unsigned are refused.
	plain := url.Values{}
	for k, v := range authz {
		plain.Set(k, v.(string))
	}
	wantError(t, e.post("/connect/par", h.assert(t, e, plain), "", ""), 400, "invalid_request")

	ro := h.requestObject(t, e, authz)
	r := e.post("/connect/par", h.assert(t, e, url.Values{"request": {ro}}), "", "")
	if r.Status != http.StatusCreated || r.str("request_uri") == "" {
		t.Fatalf("PAR with a request object: %d %s", r.Status, r.Raw)
	}
	// The same request object again (with a fresh assertion): a replay.
	replay := e.post("/connect/par", h.assert(t, e, url.Values{"request": {ro}}), "", "")
	wantError(t, replay, 400, "invalid_request_object")
	if !strings.Contains(replay.str("error_description"), "already used") {
		t.Fatalf("replay description: %s", replay.Raw)
	}

	b := e.browser()
	loc, pg := b.walk(e.issuer+"/connect/authorize?client_id=hi&request_uri="+url.QueryEscape(r.str("request_uri")), alice())
	if loc == nil {
		t.Fatalf("the flow ended on a page: %d %s", pg.Status, pg.Body)
	}
	wantParam(t, loc.Query(), "state", "hi-state")
	tok := e.post("/connect/token", h.assert(t, e, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {hiRedirect}, "code_verifier": {verifier}}), "", "")
	wantOK(t, tok)
	id, err := e.verifier("hi").Verify(ctx, tok.str("id_token"))
	if err != nil || id.Nonce != "hi-nonce" {
		t.Fatalf("ID token: %v", err)
	}
	rt := tok.str("refresh_token")
	if rt == "" {
		t.Fatal("no refresh token")
	}
	wantProofKey(t, e, rt, h.thumbprint())
	next := e.post("/connect/token", h.assert(t, e, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}), "", "")
	wantOK(t, next)
	wantProofKey(t, e, next.str("refresh_token"), h.thumbprint())
	if n := h.fetches.Load(); n != 1 {
		t.Errorf("the client's jwks_uri was fetched %d times for one cached set, want 1", n)
	}

	// private_key_jwt only: a secret (Basic or in the body) or no
	// credentials at all is refused, for the same refresh token.
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.str("refresh_token")}}
	wantError(t, e.post("/connect/token", refresh, "hi", "a-guessed-secret-a-guessed-secret-a-gu"), 401, "invalid_client")
	body := cloneForm(refresh)
	body.Set("client_id", "hi")
	body.Set("client_secret", "a-guessed-secret-a-guessed-secret-a-gu")
	wantError(t, e.post("/connect/token", body, "", ""), 401, "invalid_client")
	body.Del("client_secret")
	wantError(t, e.post("/connect/token", body, "", ""), 401, "invalid_client")
	wantOK(t, e.post("/connect/token", h.assert(t, e, refresh), "", ""))
}

func wantProofKey(t *testing.T, e *env, rt, want string) {
	t.Helper()
	got, _, err := e.app.Store.RefreshToken(context.Background(), mint.ClaimedGrantID(rt), mint.HashToken(rt))
	if err != nil {
		t.Fatal(err)
	}
	if got.ProofKey != want {
		t.Fatalf("refresh token ProofKey %q, want the client key's thumbprint %q", got.ProofKey, want)
	}
}

// TestRequestObjectAtAuthorizationEndpoint: a request object whose
// signature fails is an error page (its redirect_uri is not the client's
// word); one that verifies carries its errors to the registered redirect
// URI; a request_uri not from PAR is not supported; discovery says so.
func TestRequestObjectAtAuthorizationEndpoint(t *testing.T) {
	h := newHiClient(t)
	e := startWith(t, h.register)
	b := e.browser()
	_, challenge := pkce()
	authz := map[string]any{"response_type": "code", "redirect_uri": hiRedirect, "scope": "openid",
		"state": "s-at-authz", "code_challenge": challenge, "code_challenge_method": "S256"}

	forged := h.requestObject(t, e, authz)
	forged = forged[:len(forged)-4] + "AAAA"
	// Even with a registered redirect_uri outside, nothing is redirected.
	if pg := b.do("GET", "/connect/authorize?client_id=hi&response_type=code&redirect_uri="+url.QueryEscape(hiRedirect)+"&request="+url.QueryEscape(forged), nil); pg.Status != 400 || pg.Location != "" || !strings.Contains(pg.Body, "invalid_request_object") {
		t.Fatalf("forged request object: %d %q", pg.Status, pg.Location)
	}
	// Verified, but hi must push (require_par): the error goes back to it.
	pg := b.do("GET", "/connect/authorize?client_id=hi&request="+url.QueryEscape(h.requestObject(t, e, authz)), nil)
	loc, err := url.Parse(pg.Location)
	if err != nil || !strings.HasPrefix(pg.Location, hiRedirect) || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("state") != "s-at-authz" {
		t.Fatalf("verified request object for a require_par client: %d %q", pg.Status, pg.Location)
	}
	// Expired but genuine: invalid_request_object, redirected.
	old := h.requestObject(t, e, authz)
	e.clk.Add(2 * time.Minute)
	pg = b.do("GET", "/connect/authorize?client_id=hi&request="+url.QueryEscape(old), nil)
	if loc, _ := url.Parse(pg.Location); loc == nil || loc.Query().Get("error") != "invalid_request_object" {
		t.Fatalf("expired request object: %d %q", pg.Status, pg.Location)
	}
	// Unsigned, for a client that must sign: redirected invalid_request.
	pg = b.do("GET", "/connect/authorize?client_id=hi&response_type=code&redirect_uri="+url.QueryEscape(hiRedirect)+"&state=u1&code_challenge="+challenge+"&code_challenge_method=S256", nil)
	if loc, _ := url.Parse(pg.Location); loc == nil || loc.Query().Get("error") != "invalid_request" || !strings.Contains(loc.Query().Get("error_description"), "require_signed_request_object") {
		t.Fatalf("unsigned request: %d %q", pg.Status, pg.Location)
	}
	if pg := b.do("GET", "/connect/authorize?client_id=hi&request_uri="+url.QueryEscape("https://hi.example/ro.jwt"), nil); pg.Status != 400 || !strings.Contains(pg.Body, "request_uri_not_supported") {
		t.Fatalf("request_uri by reference: %d", pg.Status)
	}

	var meta map[string]any
	d := e.do(must(http.NewRequest("GET", e.issuer+"/.well-known/openid-configuration", nil)))
	meta = d.Body
	if meta["request_parameter_supported"] != true || meta["request_uri_parameter_supported"] != false {
		t.Fatalf("discovery: request %v, request_uri %v", meta["request_parameter_supported"], meta["request_uri_parameter_supported"])
	}
	if algs, _ := meta["request_object_signing_alg_values_supported"].([]any); len(algs) == 0 || strings.Contains(fmt.Sprint(algs), "none") || strings.Contains(fmt.Sprint(algs), "HS") {
		t.Fatalf("request_object_signing_alg_values_supported = %v", meta["request_object_signing_alg_values_supported"])
	}
}
