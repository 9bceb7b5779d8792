package requestobject

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

const issuer = "https://login.example.com"

var (
	now         = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clientKey   = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	strangerKey = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

type memJTI struct {
	mu   sync.Mutex
	seen map[[2]string]time.Time
}

func (m *memJTI) UseJTI(_ context.Context, clientID, jti string, expiresAt, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{clientID, jti}
	if exp, ok := m.seen[k]; ok && !exp.Before(now) {
		return fmt.Errorf("jti: %w", store.ErrConflict)
	}
	m.seen[k] = expiresAt
	return nil
}

func setup(t *testing.T) (*Verifier, *config.Client, *memJTI) {
	t.Helper()
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &clientKey.PublicKey, KeyID: "k1"}}})
	var m map[string]any
	_ = json.Unmarshal(set, &m)
	cfg := config.Default()
	cfg.Issuer = issuer
	cfg.Clients = []config.Client{{ID: "app", AuthMethod: config.AuthPrivateKeyJWT, JWKS: m,
		RedirectURIs: []string{"https://app.example.com/cb"}, RequireSignedRequestObject: true}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	c, _ := cfg.Client("app")
	clock := func() time.Time { return now }
	jti := &memJTI{seen: map[[2]string]time.Time{}}
	auth := &clientauth.Authenticator{Clients: cfg, Issuer: issuer, Now: clock}
	return &Verifier{Issuer: issuer, Keys: auth, JTI: jti, Now: clock}, c, jti
}

var jtiN int

// goodClaims is a valid request object's payload for client app.
func goodClaims() map[string]any {
	jtiN++
	return map[string]any{
		"iss": "app", "aud": issuer, "exp": now.Add(50 * time.Second).Unix(), "nbf": now.Unix(), "iat": now.Unix(),
		"jti": fmt.Sprintf("jti-%d", jtiN), "client_id": "app", "response_type": "code",
		"redirect_uri": "https://app.example.com/cb", "scope": "openid", "state": "s1", "max_age": 300,
	}
}

func signRO(t *testing.T, key any, alg jose.SignatureAlgorithm, typ any, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", "k1")
	if typ != nil {
		opts = opts.WithHeader(jose.HeaderType, typ)
	}
	s := must(jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts))
	return must(jwt.Signed(s).Claims(claims).Serialize())
}

func TestUnwrapGood(t *testing.T) {
	v, c, jti := setup(t)
	for _, typ := range []any{Type, "application/oauth-authz-req+jwt", "JWT", nil} {
		cl := goodClaims()
		p, err := v.Unwrap(context.Background(), c, url.Values{"client_id": {"app"}, "request": {signRO(t, clientKey, jose.ES256, typ, cl)},
			"response_type": {"code id_token"}, "scope": {"openid profile"}}, false)
		if err != nil {
			t.Fatalf("typ %v: %v", typ, err)
		}
		// RFC 9101 §5: only the object's parameters count.
		want := url.Values{"client_id": {"app"}, "response_type": {"code"}, "redirect_uri": {"https://app.example.com/cb"},
			"scope": {"openid"}, "state": {"s1"}, "max_age": {"300"}}
		if p.Encode() != want.Encode() {
			t.Errorf("params = %v\nwant %v", p, want)
		}
		if _, ok := jti.seen[[2]string{"jar:app", cl["jti"].(string)}]; !ok {
			t.Errorf("jti not recorded under jar:app: %v", jti.seen)
		}
	}
}

// RFC 8707 §2.1 lets resource repeat; inside a request object that is a
// list of strings, and it becomes the parameter repeated, as a query
// string would carry it.
func TestUnwrapResourceList(t *testing.T) {
	v, c, _ := setup(t)
	cl := goodClaims()
	cl["resource"] = []any{"https://a.example/api", "https://b.example/api"}
	p, err := v.Unwrap(context.Background(), c, url.Values{"client_id": {"app"}, "request": {signRO(t, clientKey, jose.ES256, Type, cl)}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := p["resource"]; len(got) != 2 || got[0] != "https://a.example/api" || got[1] != "https://b.example/api" {
		t.Errorf("resource = %q, want both, in order", got)
	}
	cl = goodClaims()
	cl["resource"] = []any{"https://a.example/api", 7}
	if _, err := v.Unwrap(context.Background(), c, url.Values{"client_id": {"app"}, "request": {signRO(t, clientKey, jose.ES256, Type, cl)}}, false); err == nil {
		t.Error("a resource list holding a number: err = nil")
	}
}

func TestUnwrapRefuses(t *testing.T) {
	edit := func(f func(m map[string]any)) map[string]any { m := goodClaims(); f(m); return m }
	hs := func(t *testing.T) string {
		s := must(jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil))
		return must(jwt.Signed(s).Claims(goodClaims()).Serialize())
	}
	none := func(t *testing.T) string {
		b, _ := json.Marshal(goodClaims())
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none"}`)) + "." + enc(b) + "."
	}
	ro := func(c map[string]any) func(t *testing.T) string {
		return func(t *testing.T) string { return signRO(t, clientKey, jose.ES256, Type, c) }
	}
	cases := []struct {
		name   string
		req    func(t *testing.T) string
		outer  url.Values
		pushed bool
		code   string
		want   string
		signed bool // the error comes with the parameters
	}{
		{name: "alg none", req: none, code: InvalidRequestObject, want: "unsigned (alg none)"},
		{name: "HS256", req: hs, code: InvalidRequestObject, want: "HMAC"},
		{name: "not a JWT", req: func(*testing.T) string { return "hello" }, code: InvalidRequestObject, want: "compact JWS"},
		{name: "JWE", req: func(*testing.T) string { return "a.b.c.d.e" }, code: InvalidRequestObject, want: "encrypted"},
		{name: "too long", req: func(*testing.T) string { return strings.Repeat("a", maxLen+1) }, code: InvalidRequestObject, want: "longer than"},
		{name: "stranger's key", req: func(t *testing.T) string { return signRO(t, strangerKey, jose.ES256, Type, goodClaims()) }, code: InvalidRequestObject, want: "does not verify"},
		{name: "typ at+jwt", req: func(t *testing.T) string { return signRO(t, clientKey, jose.ES256, "at+jwt", goodClaims()) }, code: InvalidRequestObject, want: "typ"},
		{name: "typ of a client assertion", req: func(t *testing.T) string {
			return signRO(t, clientKey, jose.ES256, "client-authentication+jwt", goodClaims())
		}, code: InvalidRequestObject, want: "typ"},
		{name: "typ of a DPoP proof", req: func(t *testing.T) string { return signRO(t, clientKey, jose.ES256, "dpop+jwt", goodClaims()) }, code: InvalidRequestObject, want: "typ"},
		{name: "iss another client", req: ro(edit(func(m map[string]any) { m["iss"] = "other" })), code: InvalidRequestObject, want: "iss", signed: true},
		{name: "no iss", req: ro(edit(func(m map[string]any) { delete(m, "iss") })), code: InvalidRequestObject, want: "iss", signed: true},
		{name: "aud another server", req: ro(edit(func(m map[string]any) { m["aud"] = "https://evil.example" })), code: InvalidRequestObject, want: "aud", signed: true},
		{name: "aud the token endpoint", req: ro(edit(func(m map[string]any) { m["aud"] = issuer + "/connect/token" })), code: InvalidRequestObject, want: "aud", signed: true},
		{name: "no exp", req: ro(edit(func(m map[string]any) { delete(m, "exp") })), code: InvalidRequestObject, want: "exp is required", signed: true},
		{name: "expired", req: ro(edit(func(m map[string]any) { m["exp"] = now.Add(-6 * time.Second).Unix() })), code: InvalidRequestObject, want: "expired", signed: true},
		{name: "exp too far", req: ro(edit(func(m map[string]any) { m["exp"] = now.Add(66 * time.Second).Unix() })), code: InvalidRequestObject, want: "request_object.max_lifetime", signed: true},
		{name: "no nbf", req: ro(edit(func(m map[string]any) { delete(m, "nbf") })), code: InvalidRequestObject, want: "nbf is required", signed: true},
		{name: "nbf future", req: ro(edit(func(m map[string]any) { m["nbf"] = now.Add(10 * time.Second).Unix() })), code: InvalidRequestObject, want: "not valid before", signed: true},
		{name: "nbf over an hour old", req: ro(edit(func(m map[string]any) { m["nbf"] = now.Add(-61 * time.Minute).Unix() })), code: InvalidRequestObject, want: "1h0m0s in the past", signed: true},
		{name: "no jti", req: ro(edit(func(m map[string]any) { delete(m, "jti") })), code: InvalidRequestObject, want: "jti is required", signed: true},
		{name: "jti with a NUL", req: ro(edit(func(m map[string]any) { m["jti"] = "a\x00b" })), code: InvalidRequestObject, want: "control character", signed: true},
		{name: "exp not a number", req: ro(edit(func(m map[string]any) { m["exp"] = "soon" })), code: InvalidRequestObject, want: "JWT types"},
		{name: "no client_id inside", req: ro(edit(func(m map[string]any) { delete(m, "client_id") })), code: InvalidRequestObject, want: "client_id is required"},
		{name: "client_id inside differs", req: ro(edit(func(m map[string]any) { m["client_id"] = "other" })), code: InvalidRequestObject, want: "differs"},
		{name: "client_id outside differs", req: ro(goodClaims()), outer: url.Values{"client_id": {"other"}}, code: InvalidRequestObject, want: "outside"},
		{name: "request_uri inside", req: ro(edit(func(m map[string]any) { m["request_uri"] = "urn:x" })), code: InvalidRequestObject, want: "must not contain request_uri"},
		{name: "nested request", req: ro(edit(func(m map[string]any) { m["request"] = "x.y.z" })), code: InvalidRequestObject, want: "must not contain request"},
		{name: "fractional max_age", req: ro(edit(func(m map[string]any) { m["max_age"] = 1.5 })), code: InvalidRequestObject, want: "whole number"},
		{name: "request and request_uri", req: ro(goodClaims()), outer: url.Values{"request_uri": {"urn:x"}}, code: oautherr.InvalidRequest, want: "not both"},
		{name: "PAR: parameter beside the object", req: ro(goodClaims()), outer: url.Values{"scope": {"openid"}}, pushed: true, code: oautherr.InvalidRequest, want: "RFC 9126 §3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, c, _ := setup(t)
			p := url.Values{"client_id": {"app"}}
			for k, vs := range tc.outer {
				p[k] = vs
			}
			p.Set("request", tc.req(t))
			params, err := v.Unwrap(context.Background(), c, p, tc.pushed)
			e := oautherr.As(err)
			if err == nil || e.Code != tc.code || e.Status != 400 || !strings.Contains(e.Description, tc.want) {
				t.Fatalf("Unwrap = %v, want %s containing %q", err, tc.code, tc.want)
			}
			if Verified(params) != tc.signed {
				t.Errorf("parameters returned with the error: %v, want %v", params != nil, tc.signed)
			}
		})
	}
}

func TestUnwrapReplay(t *testing.T) {
	v, c, _ := setup(t)
	req := signRO(t, clientKey, jose.ES256, Type, goodClaims())
	p := url.Values{"client_id": {"app"}, "request": {req}}
	if _, err := v.Unwrap(context.Background(), c, p, false); err != nil {
		t.Fatal(err)
	}
	_, err := v.Unwrap(context.Background(), c, p, true)
	if e := oautherr.As(err); err == nil || e.Code != InvalidRequestObject || !strings.Contains(e.Description, "already used") {
		t.Fatalf("replay: %v", err)
	}
}

func TestMaxLifetimeSetting(t *testing.T) {
	v, c, _ := setup(t)
	v.MaxLifetime = 10 * time.Minute
	m := goodClaims()
	m["exp"] = now.Add(9 * time.Minute).Unix()
	if _, err := v.Unwrap(context.Background(), c, url.Values{"request": {signRO(t, clientKey, jose.ES256, nil, m)}}, true); err != nil {
		t.Fatal(err)
	}
}

func TestRequired(t *testing.T) {
	_, c, _ := setup(t)
	err := Required(c, url.Values{"client_id": {"app"}, "response_type": {"code"}})
	if e := oautherr.As(err); err == nil || e.Code != oautherr.InvalidRequest || !strings.Contains(e.Description, "require_signed_request_object") {
		t.Fatalf("Required = %v", err)
	}
	if err := Required(c, url.Values{"request": {"x"}}); err != nil {
		t.Fatal(err)
	}
	c2 := *c
	c2.RequireSignedRequestObject = false
	if err := Required(&c2, url.Values{}); err != nil {
		t.Fatal(err)
	}
}
