package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The fuzz targets of this file have their own fixture, fixed for good: the
// seed corpora under testdata/fuzz hold assertions signed with fzKey for the
// clock fzNow, and must stay valid across runs.
const (
	fzIssuer   = "https://fuzz.example"
	fzEndpoint = fzIssuer + "/connect/token"
	fzClient   = "fz-jwt"
	fzKID      = "k1"
	fzSecret   = "fz-basic-secret-0123456789abcdefghijklmnop"
)

// fzNow is 2026-01-01T00:00:00Z, unix 1767225600; seeds use exp 1767225630.
var fzNow = time.Unix(1767225600, 0).UTC()

// fzKey is the P-256 key of client fz-jwt. It is a test key, made for these
// seeds and used nowhere else.
var fzKey = func() *ecdsa.PrivateKey {
	d, _ := hex.DecodeString("13d1d2438f724629d8f144ee8e962816f09ea191a3a7eecfcf145685869874ac")
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		panic(err)
	}
	return k
}()

var fzConfig = func() *config.Config {
	c := config.Default()
	c.Issuer = fzIssuer
	c.Clients = []config.Client{
		{ID: fzClient, AuthMethod: config.AuthPrivateKeyJWT, GrantTypes: []string{config.GrantClientCredentials},
			JWKS: fzJWKS(jose.JSONWebKey{Key: &fzKey.PublicKey, KeyID: fzKID, Algorithm: "ES256", Use: "sig"})},
		{ID: "fz-basic", Secret: fzSecret, GrantTypes: []string{config.GrantClientCredentials}},
		{ID: "fz-pub", Type: config.ClientPublic, RedirectURIs: []string{"https://spa.example/cb"}},
	}
	if err := c.Finish(); err != nil {
		panic(err)
	}
	return c
}()

// fzJWKS renders public keys as the map the YAML decoder would produce.
func fzJWKS(keys ...jose.JSONWebKey) map[string]any {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

// fzJTI is a JTIStore that remembers every call, so a target can check that
// only an accepted assertion records its jti.
type fzJTI struct {
	calls []fzJTICall
}

type fzJTICall struct {
	client, jti string
	expiresAt   time.Time
}

func (s *fzJTI) UseJTI(_ context.Context, clientID, jti string, expiresAt, now time.Time) error {
	for _, c := range s.calls {
		if c.client == clientID && c.jti == jti && !c.expiresAt.Before(now) {
			return fmt.Errorf("jti %q: %w", jti, store.ErrConflict)
		}
	}
	s.calls = append(s.calls, fzJTICall{clientID, jti, expiresAt})
	return nil
}

func fzAuth() (*Authenticator, *fzJTI) {
	jti := &fzJTI{}
	return &Authenticator{Clients: fzConfig, JTI: jti, Issuer: fzIssuer, Now: func() time.Time { return fzNow }}, jti
}

// FuzzAuthenticateAssertion presents random client_assertion strings (and a
// random client_id and assertion type) to Authenticate. Random bytes should
// never prove a client; the seeds include assertions validly signed with
// fzKey, so the fuzzer mutates real JWS too. Whatever is accepted must obey
// RFC 7523 §3 as assertionClaims.valid reads it, independently of the code
// under test, and must burn its jti; whatever is refused is invalid_client
// and burns nothing.
func FuzzAuthenticateAssertion(f *testing.F) {
	f.Fuzz(func(t *testing.T, clientID, assertionType, assertion string) {
		creds := Credentials{Method: config.AuthPrivateKeyJWT, ClientID: clientID, AssertionType: assertionType, Assertion: assertion,
			Endpoint: fzEndpoint}
		checkAssertionOutcome(t, creds)
	})
}

// FuzzAssertionClaims signs random payloads (claims or not JSON at all) with
// the client's registered key, under a random kid, so every claim check of
// RFC 7523 §3 is reached with a valid signature. Beyond the properties of
// FuzzAuthenticateAssertion it checks the other direction: a payload whose
// claims satisfy every rule, signed under the right kid, is accepted.
func FuzzAssertionClaims(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte, kid, clientID string) {
		opts := (&jose.SignerOptions{}).WithType("JWT")
		if kid != "" {
			opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: fzKey}, opts)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		compact, err := jws.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		creds := Credentials{Method: config.AuthPrivateKeyJWT, ClientID: clientID, AssertionType: AssertionType, Assertion: compact,
			Endpoint: fzEndpoint}
		accepted := checkAssertionOutcome(t, creds)

		c, ok := readAssertionClaims(payload)
		shouldPass := ok && c.valid(fzClient, fzEndpoint) && (kid == "" || kid == fzKID) && (clientID == "" || clientID == fzClient) &&
			len(compact) <= maxAssertionLen
		if shouldPass && !accepted {
			t.Fatalf("a valid assertion (kid %q, client_id %q) was refused: %s", kid, clientID, payload)
		}
	})
}

// checkAssertionOutcome authenticates creds with a fresh replay cache and
// checks the outcome; it reports whether the client was accepted.
func checkAssertionOutcome(t *testing.T, creds Credentials) bool {
	t.Helper()
	a, jti := fzAuth()
	cl, err := a.Authenticate(context.Background(), creds)
	if err != nil {
		var oe *oautherr.Error
		if !errors.As(err, &oe) || oe.Code != oautherr.InvalidClient || oe.Status != http.StatusUnauthorized || oe.Description == "" {
			t.Fatalf("refusal %v (%T): want invalid_client, 401, with a description", err, err)
		}
		if len(jti.calls) != 0 {
			t.Fatalf("a refused assertion recorded jti %q: every stateless check must run first", jti.calls[0].jti)
		}
		return false
	}
	if creds.AssertionType != AssertionType {
		t.Fatalf("accepted client_assertion_type %q", creds.AssertionType)
	}
	if cl.ID != fzClient || cl.AuthMethod != config.AuthPrivateKeyJWT {
		t.Fatalf("accepted as client %q (%s), the only private_key_jwt client is %q", cl.ID, cl.AuthMethod, fzClient)
	}
	if creds.ClientID != "" && creds.ClientID != cl.ID {
		t.Fatalf("client_id %q authenticated as %q", creds.ClientID, cl.ID)
	}
	// The signature verifies with the registered key: go-jose's own check,
	// not the code under test.
	jws, err := jose.ParseSigned(creds.Assertion, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("accepted an assertion go-jose cannot parse as ES256 JWS: %v", err)
	}
	payload, err := jws.Verify(&fzKey.PublicKey)
	if err != nil {
		t.Fatalf("accepted an assertion whose signature does not verify with the client's key: %v", err)
	}
	c, ok := readAssertionClaims(payload)
	if !ok {
		t.Fatalf("accepted an assertion whose payload is not a claims object: %q", payload)
	}
	if !c.valid(cl.ID, creds.Endpoint) {
		t.Fatalf("accepted claims that break RFC 7523 §3 at %v: %s", fzNow, payload)
	}
	if len(jti.calls) != 1 || jti.calls[0].client != cl.ID || jti.calls[0].jti != *c.JTI ||
		!jti.calls[0].expiresAt.Equal(time.Unix(int64(*c.Exp), 0).Add(ClockSkew)) {
		t.Fatalf("jti calls %+v: want one for %q until exp+skew", jti.calls, *c.JTI)
	}
	// RFC 7523 §3 item 7: the same assertion is refused the second time.
	if _, err := a.Authenticate(context.Background(), creds); err == nil {
		t.Fatalf("the same assertion was accepted twice (jti %q)", *c.JTI)
	}
	// An assertion made for this endpoint only (aud without the issuer)
	// authenticates nowhere else, even before its jti is spent.
	if par := creds; !slices.Contains(c.audience(), fzIssuer) && !slices.Contains(c.audience(), fzIssuer+"/connect/par") {
		par.Endpoint = fzIssuer + "/connect/par"
		fresh, _ := fzAuth()
		if _, err := fresh.Authenticate(context.Background(), par); err == nil {
			t.Fatalf("an assertion for %s (aud %q) authenticated at %s", creds.Endpoint, c.audience(), par.Endpoint)
		}
	}
	return true
}

// assertionClaims is the model's view of a payload, decoded with go-jose's
// JSON package (case-sensitive names, as JWT claims are: RFC 7519 §4).
type assertionClaims struct {
	Iss *string             `json:"iss"`
	Sub *string             `json:"sub"`
	Aud josejson.RawMessage `json:"aud"`
	Exp *float64            `json:"exp"`
	Nbf *float64            `json:"nbf"`
	Iat *float64            `json:"iat"`
	JTI *string             `json:"jti"`
}

// audience is aud as a list: a string is a list of one; anything else none.
func (c assertionClaims) audience() []string {
	var one string
	if josejson.Unmarshal(c.Aud, &one) == nil && len(c.Aud) > 0 && c.Aud[0] == '"' {
		return []string{one}
	}
	var aud []string
	if josejson.Unmarshal(c.Aud, &aud) != nil {
		return nil
	}
	return aud
}

func readAssertionClaims(payload []byte) (assertionClaims, bool) {
	var c assertionClaims
	if err := josejson.Unmarshal(payload, &c); err != nil {
		return c, false
	}
	for _, p := range []*float64{c.Exp, c.Nbf, c.Iat} {
		if p != nil && (math.Abs(*p) >= 1<<62 || math.IsNaN(*p)) {
			return c, false // not a NumericDate any parser takes
		}
	}
	return c, true
}

// valid is RFC 7523 §3 at fzNow as Tollgate documents it: iss and sub are
// the client, aud names the issuer or the endpoint, exp is present,
// not passed by more than the skew and at most 60 s (plus skew) ahead, nbf
// and iat not in the future beyond the skew, a jti of 1 to 256 characters.
// NumericDates count whole seconds, fractions truncated.
func (c assertionClaims) valid(client, endpoint string) bool {
	now := float64(fzNow.Unix())
	skew := ClockSkew.Seconds()
	if c.Iss == nil || *c.Iss != client || c.Sub == nil || *c.Sub != client {
		return false
	}
	aud := c.audience()
	if !slices.Contains(aud, fzIssuer) && (endpoint == "" || !slices.Contains(aud, endpoint)) {
		return false
	}
	if c.Exp == nil {
		return false
	}
	exp := math.Trunc(*c.Exp)
	if !(now < exp+skew) || exp > now+MaxAssertionLifetime.Seconds()+skew {
		return false
	}
	if c.Nbf != nil && math.Trunc(*c.Nbf) > now+skew {
		return false
	}
	if c.Iat != nil && math.Trunc(*c.Iat) > now+skew {
		return false
	}
	return c.JTI != nil && *c.JTI != "" && len(*c.JTI) <= maxJTILen &&
		!strings.ContainsFunc(*c.JTI, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// FuzzFromRequest sends random Authorization headers, bodies and query
// strings to FromRequest. An accepted request uses exactly one method of
// RFC 6749 §2.3, its credentials are what the request carried, and no
// secret or assertion travelled in the URL; a refusal is an
// *oautherr.Error (invalid_request or invalid_client) with a description.
func FuzzFromRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, authorization, body, query string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // postForm refuses such a body before FromRequest runs
		}
		r := httptest.NewRequest(http.MethodPost, "/connect/token", nil)
		r.URL.RawQuery = query
		r.PostForm = form
		// A newline in the fuzzed header splits it into several headers.
		if authorization != "" {
			for _, h := range strings.Split(authorization, "\n") {
				r.Header.Add("Authorization", h)
			}
		}
		creds, err := FromRequest(r)
		if err != nil {
			var oe *oautherr.Error
			if !errors.As(err, &oe) || (oe.Code != oautherr.InvalidRequest && oe.Code != oautherr.InvalidClient) || oe.Description == "" {
				t.Fatalf("refusal %v (%T): want invalid_request or invalid_client with a description", err, err)
			}
			return
		}
		q, _ := url.ParseQuery(query)
		if q.Has("client_secret") || q.Has("client_assertion") {
			t.Fatalf("accepted credentials in the URL (RFC 6749 §2.3.1): %q", query)
		}
		for _, k := range []string{"client_id", "client_secret", "client_assertion_type", "client_assertion"} {
			if len(form[k]) > 1 {
				t.Fatalf("accepted %s twice", k)
			}
		}
		hdrs := r.Header.Values("Authorization")
		sec, assertion, atype := form.Get("client_secret"), form.Get("client_assertion"), form.Get("client_assertion_type")
		switch creds.Method {
		case config.AuthSecretBasic:
			if len(hdrs) != 1 || sec != "" || assertion != "" || atype != "" {
				t.Fatalf("Basic accepted alongside another method: headers %q, form %q", hdrs, form)
			}
			id, secret, err := parseBasic(hdrs[0])
			if err != nil || id != creds.ClientID || secret != creds.Secret || id == "" {
				t.Fatalf("Basic credentials %q/%q do not match the header", creds.ClientID, creds.Secret)
			}
			if form.Get("client_id") != "" && form.Get("client_id") != id {
				t.Fatalf("body client_id %q differs from Basic %q", form.Get("client_id"), id)
			}
		case config.AuthSecretPost:
			if len(hdrs) != 0 || assertion != "" || atype != "" || sec == "" || creds.Secret != sec ||
				creds.ClientID == "" || creds.ClientID != form.Get("client_id") {
				t.Fatalf("client_secret_post credentials %v from headers %q, form %q", creds, hdrs, form)
			}
		case config.AuthPrivateKeyJWT:
			if len(hdrs) != 0 || sec != "" || assertion == "" || creds.Assertion != assertion ||
				creds.AssertionType != atype || atype == "" || creds.ClientID != form.Get("client_id") {
				t.Fatalf("private_key_jwt credentials %v from headers %q, form %q", creds, hdrs, form)
			}
		case config.AuthNone:
			if len(hdrs) != 0 || sec != "" || assertion != "" || atype != "" || creds.ClientID == "" || creds.ClientID != form.Get("client_id") {
				t.Fatalf("public-client credentials %v from headers %q, form %q", creds, hdrs, form)
			}
		case "":
			if len(hdrs) != 0 || sec != "" || assertion != "" || atype != "" || form.Get("client_id") != "" {
				t.Fatalf("no method reported for headers %q, form %q", hdrs, form)
			}
		default:
			t.Fatalf("unknown method %q", creds.Method)
		}
		// What is printed or logged of credentials never depends on the
		// secret or the assertion.
		other := creds
		other.Secret, other.Assertion = "other"+creds.Secret, "other"+creds.Assertion
		if creds.String() != other.String() || creds.LogValue().String() != other.LogValue().String() {
			t.Fatalf("Credentials.String or LogValue shows the secret or assertion")
		}
	})
}

// FuzzParseBasic checks the RFC 6749 §2.3.1 encoding both ways: any client
// id and secret, form-urlencoded and Basic-encoded as a client library
// does, read back exactly; and any header parseBasic accepts names a
// non-empty client id and re-encodes to the same credentials.
func FuzzParseBasic(f *testing.F) {
	f.Fuzz(func(t *testing.T, header, id, secret string) {
		if id != "" {
			h := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
			gotID, gotSecret, err := parseBasic(h)
			if err != nil || gotID != id || gotSecret != secret {
				t.Fatalf("parseBasic(encode(%q, %q)) = %q, %q, %v", id, secret, gotID, gotSecret, err)
			}
		}
		gotID, gotSecret, err := parseBasic(header)
		if err != nil {
			if oe := oautherr.As(err); oe == nil || oe.Code != oautherr.InvalidClient || oe.Description == "" {
				t.Fatalf("refusal %v: want invalid_client with a description", err)
			}
			return
		}
		if gotID == "" {
			t.Fatalf("accepted an empty client id from %q", header)
		}
		if !strings.EqualFold(header[:6], "Basic ") {
			t.Fatalf("accepted scheme of %q", header)
		}
		again := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(gotID)+":"+url.QueryEscape(gotSecret)))
		if id2, s2, err := parseBasic(again); err != nil || id2 != gotID || s2 != gotSecret {
			t.Fatalf("re-encoded credentials read back as %q, %q, %v", id2, s2, err)
		}
	})
}
