package clientauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// jwksHost is a client's key host: it serves whatever set it holds now and
// counts the fetches.
type jwksHost struct {
	mu      sync.Mutex
	set     jose.JSONWebKeySet
	body    []byte // served verbatim when set
	status  int
	cache   string
	delay   time.Duration
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKSHost(t *testing.T, keys ...jose.JSONWebKey) *jwksHost {
	h := &jwksHost{set: jose.JSONWebKeySet{Keys: keys}, status: http.StatusOK}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fetches.Add(1)
		h.mu.Lock()
		body, status, cache, delay := h.body, h.status, h.cache, h.delay
		if body == nil {
			body, _ = json.Marshal(h.set)
		}
		h.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if status == http.StatusFound && r.URL.Path != "/elsewhere" {
			// A redirect to a set that would verify: the fetcher must not go.
			w.Header().Set("Location", "/elsewhere")
		} else if status == http.StatusFound {
			status = http.StatusOK
		}
		if cache != "" {
			w.Header().Set("Cache-Control", cache)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *jwksHost) edit(f func(h *jwksHost)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(h)
}

func pub(k any, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: k, KeyID: kid}
}

// fetcherAt returns a fetcher on a clock the test moves.
func fetcherAt(now *time.Time) *JWKSFetcher {
	return &JWKSFetcher{Now: func() time.Time { return *now }}
}

func TestJWKSURICachesAndHonoursMaxAge(t *testing.T) {
	ctx := context.Background()
	h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
	h.cache = "public, max-age=120"
	now := testNow
	f := fetcherAt(&now)
	for range 5 {
		ks, err := f.Keys(ctx, h.srv.URL, "ec1")
		if err != nil || len(ks.Key("ec1")) != 1 {
			t.Fatalf("Keys: %v %v", ks, err)
		}
	}
	if n := h.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for five lookups of a cached set, want 1", n)
	}
	now = now.Add(119 * time.Second)
	_, _ = f.Keys(ctx, h.srv.URL, "ec1")
	if n := h.fetches.Load(); n != 1 {
		t.Fatalf("fetched again within max-age: %d", n)
	}
	now = now.Add(2 * time.Second)
	_, _ = f.Keys(ctx, h.srv.URL, "ec1")
	if n := h.fetches.Load(); n != 2 {
		t.Fatalf("not fetched again after max-age: %d", n)
	}
}

func TestJWKSURITTLBounds(t *testing.T) {
	f := &JWKSFetcher{}
	f.init()
	for _, tc := range []struct {
		cc   []string
		want time.Duration
	}{
		{nil, DefaultJWKSTTL},
		{[]string{"max-age=600"}, 10 * time.Minute},
		{[]string{"public", "max-age=1"}, DefaultJWKSMinTTL},
		{[]string{"max-age=99999999999"}, DefaultJWKSMaxTTL},
		{[]string{"no-store"}, DefaultJWKSMinTTL},
		{[]string{"max-age=300, no-cache"}, DefaultJWKSMinTTL},
		{[]string{"max-age=bogus"}, DefaultJWKSTTL},
		{[]string{"max-age=-5"}, DefaultJWKSTTL},
	} {
		if got := f.ttl(tc.cc); got != tc.want {
			t.Errorf("ttl(%q) = %v, want %v", tc.cc, got, tc.want)
		}
	}
}

// TestJWKSURIRefetchOnUnknownKid: a rotated key is picked up at once, and
// a flood of unknown kids costs the client's host one fetch per gap.
func TestJWKSURIRefetchOnUnknownKid(t *testing.T) {
	ctx := context.Background()
	h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
	now := testNow
	f := fetcherAt(&now)
	if _, err := f.Keys(ctx, h.srv.URL, "ec1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(DefaultJWKSRefetchGap)
	h.edit(func(h *jwksHost) { h.set.Keys = append(h.set.Keys, pub(&otherKey.PublicKey, "ec2")) })
	ks, err := f.Keys(ctx, h.srv.URL, "ec2")
	if err != nil || len(ks.Key("ec2")) != 1 {
		t.Fatalf("rotated key not fetched: %v", err)
	}
	if n := h.fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	for i := range 100 {
		ks, err := f.Keys(ctx, h.srv.URL, "made-up-"+string(rune('a'+i%26)))
		if err != nil || len(ks.Keys) != 2 {
			t.Fatalf("unknown kid lookup: %v, %v", ks, err)
		}
	}
	if n := h.fetches.Load(); n != 2 {
		t.Fatalf("a flood of unknown kids made %d fetches within the gap, want none", n-2)
	}
	now = now.Add(DefaultJWKSRefetchGap)
	_, _ = f.Keys(ctx, h.srv.URL, "made-up")
	if n := h.fetches.Load(); n != 3 {
		t.Fatalf("after the gap: %d fetches, want 3", n)
	}
}

func TestJWKSURIFailures(t *testing.T) {
	ctx := context.Background()
	big := `{"keys":[` + strings.Repeat(" ", DefaultJWKSMaxBytes) + `]}`
	privJSON, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ecKey, KeyID: "p"}}})
	for _, tc := range []struct {
		name string
		edit func(h *jwksHost)
		uri  func(h *jwksHost) string
		want string
	}{
		{"404", func(h *jwksHost) { h.status = 404 }, nil, "HTTP 404"},
		{"redirect not followed", func(h *jwksHost) { h.status = 302 }, nil, "HTTP 302"},
		{"too large", func(h *jwksHost) { h.body = []byte(big) }, nil, "larger than 65536 bytes"},
		{"not JSON", func(h *jwksHost) { h.body = []byte("<html>") }, nil, "not a JSON JWK Set"},
		{"no keys", func(h *jwksHost) { h.body = []byte(`{"keys":[]}`) }, nil, "no public signature key"},
		{"encryption keys only", func(h *jwksHost) { h.set.Keys = []jose.JSONWebKey{{Key: &ecKey.PublicKey, Use: "enc"}} }, nil, "no public signature key"},
		{"private key published", func(h *jwksHost) { h.body = privJSON }, nil, "private or symmetric"},
		{"http off loopback", nil, func(h *jwksHost) string { return "http://192.0.2.1/jwks" }, "only https"},
		{"connection refused", nil, func(h *jwksHost) string {
			u := h.srv.URL
			h.srv.Close()
			return u
		}, "request failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
			if tc.edit != nil {
				h.edit(tc.edit)
			}
			uri := h.srv.URL
			if tc.uri != nil {
				uri = tc.uri(h)
			}
			now := testNow
			_, err := fetcherAt(&now).Keys(ctx, uri, "ec1")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "jwks_uri") {
				t.Fatalf("err = %v, want one naming jwks_uri and %q", err, tc.want)
			}
		})
	}
}

func TestJWKSURITimeout(t *testing.T) {
	h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
	h.delay = 300 * time.Millisecond
	now := testNow
	f := &JWKSFetcher{Now: func() time.Time { return now }, Timeout: 50 * time.Millisecond}
	_, err := f.Keys(context.Background(), h.srv.URL, "ec1")
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("err = %v", err)
	}
}

// TestJWKSURIKeepsKeysWhenHostFails: once keys are known, a failed fetch
// (host down, after expiry or for an unknown kid) keeps serving them; while
// none are known, the failure is remembered for a gap instead of fetching
// per request.
func TestJWKSURIKeepsKeysWhenHostFails(t *testing.T) {
	ctx := context.Background()
	h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
	now := testNow
	f := fetcherAt(&now)
	if _, err := f.Keys(ctx, h.srv.URL, "ec1"); err != nil {
		t.Fatal(err)
	}
	h.edit(func(h *jwksHost) { h.status = 500 })
	now = now.Add(DefaultJWKSTTL + time.Second)
	ks, err := f.Keys(ctx, h.srv.URL, "ec1")
	if err != nil || len(ks.Key("ec1")) != 1 {
		t.Fatalf("cached keys dropped after a failed fetch: %v", err)
	}

	down := newJWKSHost(t)
	down.status = 503
	g := fetcherAt(&now)
	for range 10 {
		if _, err := g.Keys(ctx, down.srv.URL, "ec1"); err == nil || !strings.Contains(err.Error(), "HTTP 503") {
			t.Fatalf("err = %v", err)
		}
	}
	if n := down.fetches.Load(); n != 1 {
		t.Fatalf("a failing host was fetched %d times within the gap, want 1", n)
	}
}

// TestAssertionWithJWKSURI: a client registered with a jwks_uri
// authenticates with a key fetched from it, a rotated key included, and
// gets invalid_client naming jwks_uri while the host is down.
func TestAssertionWithJWKSURI(t *testing.T) {
	ctx := context.Background()
	h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
	cfg := uriClients(t, h.srv.URL)
	now := testNow
	a := &Authenticator{Clients: cfg, JTI: &memJTI{seen: map[[2]string]time.Time{}}, Issuer: issuer, Now: func() time.Time { return now }}
	if _, err := a.Authenticate(ctx, jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("uri", now)))); err != nil {
		t.Fatalf("key from jwks_uri: %v", err)
	}
	h.edit(func(h *jwksHost) { h.set.Keys = []jose.JSONWebKey{pub(&otherKey.PublicKey, "ec2")} })
	now = now.Add(DefaultJWKSRefetchGap)
	if _, err := a.Authenticate(ctx, jwtCreds(sign(t, otherKey, jose.ES256, "ec2", claimsFor("uri", now)))); err != nil {
		t.Fatalf("rotated key: %v", err)
	}

	down := newJWKSHost(t)
	down.status = 500
	b := &Authenticator{Clients: uriClients(t, down.srv.URL), JTI: &memJTI{seen: map[[2]string]time.Time{}}, Issuer: issuer, Now: func() time.Time { return now }}
	_, err := b.Authenticate(ctx, jwtCreds(sign(t, ecKey, jose.ES256, "ec1", claimsFor("uri", now))))
	wantErr(t, err, "invalid_client", "jwks_uri", "HTTP 500")
}

// uriClients is a configuration with one private_key_jwt client, "uri",
// whose keys are at uri.
func uriClients(t *testing.T, uri string) Clients {
	t.Helper()
	c := config.Default()
	c.Issuer = issuer
	c.Clients = []config.Client{{ID: "uri", AuthMethod: config.AuthPrivateKeyJWT, JWKSURI: uri, GrantTypes: []string{"client_credentials"}}}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestJWKSURIFetchOutlivesACancelledCaller: the fetch a request starts
// serves every request that waits on it, so the caller going away (an
// attacker sending an assertion with the victim's sub and an unknown kid,
// then closing the connection) must not fail it: else the failure is kept
// for RefetchGap and the client cannot authenticate until then.
func TestJWKSURIFetchOutlivesACancelledCaller(t *testing.T) {
	h := newJWKSHost(t, pub(&ecKey.PublicKey, "ec1"))
	h.delay = 200 * time.Millisecond
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := fetcherAt(&now)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, _ = f.Keys(ctx, h.srv.URL, "made-up")
	// The client itself, a moment later, inside RefetchGap.
	now = now.Add(time.Second)
	keys, err := f.Keys(context.Background(), h.srv.URL, "ec1")
	if err != nil || len(keys.Key("ec1")) != 1 {
		t.Fatalf("after a cancelled caller's fetch: %v, %v", keys, err)
	}
}
