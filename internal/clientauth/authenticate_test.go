package clientauth

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

func TestAuthenticateSecretsAndNone(t *testing.T) {
	a, _, _ := newAuth(t)
	ctx := context.Background()
	ok := []struct {
		name string
		c    Credentials
		want string
	}{
		{"basic", Credentials{Method: config.AuthSecretBasic, ClientID: "basic", Secret: basicSecret}, "basic"},
		{"post", Credentials{Method: config.AuthSecretPost, ClientID: "post", Secret: postSecret}, "post"},
		{"none", Credentials{Method: config.AuthNone, ClientID: "pub"}, "pub"},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := a.Authenticate(ctx, tc.c)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if cl.ID != tc.want {
				t.Fatalf("client %q, want %q", cl.ID, tc.want)
			}
		})
	}

	bad := []struct {
		name  string
		c     Credentials
		frags []string
	}{
		{"no credentials", Credentials{}, []string{"client authentication required"}},
		{"wrong secret", Credentials{Method: config.AuthSecretBasic, ClientID: "basic", Secret: basicSecret[:42] + "x"}, []string{`client "basic": unknown client or wrong secret`}},
		{"empty secret", Credentials{Method: config.AuthSecretBasic, ClientID: "basic"}, []string{"unknown client or wrong secret"}},
		{"unknown client", Credentials{Method: config.AuthSecretBasic, ClientID: "ghost", Secret: basicSecret}, []string{`client "ghost": unknown client or wrong secret`}},
		{"other client's secret", Credentials{Method: config.AuthSecretPost, ClientID: "post", Secret: basicSecret}, []string{"unknown client or wrong secret"}},
		{"basic client uses post", Credentials{Method: config.AuthSecretPost, ClientID: "basic", Secret: basicSecret}, []string{`client "basic" is registered for client_secret_basic but authenticated with client_secret_post`}},
		{"post client uses basic", Credentials{Method: config.AuthSecretBasic, ClientID: "post", Secret: postSecret}, []string{"registered for client_secret_post but authenticated with client_secret_basic"}},
		{"confidential sends only id", Credentials{Method: config.AuthNone, ClientID: "basic"}, []string{"registered for client_secret_basic but sent only client_id"}},
		{"public invents a secret", Credentials{Method: config.AuthSecretBasic, ClientID: "pub", Secret: "x"}, []string{"registered for none but authenticated with client_secret_basic"}},
		{"jwt client uses a secret", Credentials{Method: config.AuthSecretBasic, ClientID: "jwt", Secret: "x"}, []string{"registered for private_key_jwt"}},
		{"unknown public client", Credentials{Method: config.AuthNone, ClientID: "ghost"}, []string{`unknown client "ghost"`}},
		{"unknown method", Credentials{Method: "tls_client_auth", ClientID: "basic"}, []string{"registered for client_secret_basic"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := a.Authenticate(ctx, tc.c)
			if cl != nil {
				t.Fatalf("Authenticate returned client %q with error %v", cl.ID, err)
			}
			wantErr(t, err, oautherr.InvalidClient, tc.frags...)
		})
	}
}

// TestEndToEnd runs FromRequest and Authenticate together on real requests.
func TestEndToEnd(t *testing.T) {
	a, _, _ := newAuth(t)
	r := request(t, "/token", url.Values{"grant_type": {"client_credentials"}}, basicHeader("basic", basicSecret))
	c, err := FromRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	if cl, err := a.Authenticate(r.Context(), c); err != nil || cl.ID != "basic" {
		t.Fatalf("Authenticate = %v, %v", cl, err)
	}

	assertion := sign(t, ecKey, "ES256", "ec1", claimsFor("jwt", testNow))
	r = request(t, "/token", url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {assertion}})
	if c, err = FromRequest(r); err != nil {
		t.Fatal(err)
	}
	if cl, err := a.Authenticate(r.Context(), c); err != nil || cl.ID != "jwt" {
		t.Fatalf("Authenticate(jwt) = %v, %v", cl, err)
	}
}

func TestBasicHotPathAllocations(t *testing.T) {
	a, _, _ := newAuth(t)
	ctx := context.Background()
	c := Credentials{Method: config.AuthSecretBasic, ClientID: "basic", Secret: basicSecret}
	if n := testing.AllocsPerRun(100, func() { _, _ = a.Authenticate(ctx, c) }); n != 0 {
		t.Errorf("Authenticate(client_secret_basic) allocates %v times", n)
	}
	r := request(t, "/token", url.Values{"grant_type": {"client_credentials"}}, basicHeader("basic", basicSecret))
	// One allocation: the decoded "id:secret" string the Credentials point into.
	if n := testing.AllocsPerRun(100, func() { _, _ = FromRequest(r) }); n > 1 {
		t.Errorf("FromRequest(Basic) allocates %v times", n)
	}
}

// BenchmarkAuthenticate is client authentication on the token endpoint's
// hot path, from the request's header or assertion to the client:
//
//	go test -run '^$' -bench Authenticate ./internal/clientauth/
//
// client_secret_basic checks a generated secret against its SHA-256 hash;
// private_key_jwt verifies an ES256 (or RS256) assertion and records its
// jti in an in-memory store (the store's own cost is in its benchmarks).
func BenchmarkAuthenticate(b *testing.B) {
	b.Run("client_secret_basic", func(b *testing.B) {
		a, _, _ := newAuth(b)
		ctx := context.Background()
		r := request(b, "/token", url.Values{"grant_type": {"client_credentials"}}, basicHeader("basic", basicSecret))
		b.ReportAllocs()
		for b.Loop() {
			c, err := FromRequest(r)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.Authenticate(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, k := range []struct {
		alg jose.SignatureAlgorithm
		key any
		kid string
	}{{jose.ES256, ecKey, "ec1"}, {jose.RS256, rsaKey, "rsa1"}} {
		b.Run("private_key_jwt_"+string(k.alg), func(b *testing.B) {
			a, jti, _ := newAuth(b)
			ctx := context.Background()
			// Signed before the clock starts: signing is the client's cost.
			// Each jti is accepted once, so the store is emptied when the
			// batch comes round again.
			batch := make([]Credentials, 512)
			for i := range batch {
				batch[i] = jwtCreds(sign(b, k.key, k.alg, k.kid, claimsFor("jwt", testNow)))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(batch) {
					i = 0
					jti.mu.Lock()
					jti.seen = map[[2]string]time.Time{}
					jti.mu.Unlock()
				}
				if _, err := a.Authenticate(ctx, batch[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
