package mint

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func benchAccessToken(b *testing.B, alg string) {
	m := testMinter(b)
	c := fullAccess()
	c.ID = ""
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AccessToken(c, alg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccessTokenRS256(b *testing.B) { benchAccessToken(b, "RS256") }
func BenchmarkAccessTokenES256(b *testing.B) { benchAccessToken(b, "ES256") }

func benchIDToken(b *testing.B, alg string) {
	m := testMinter(b)
	c := fullID()
	c.Extra = map[string]any{"email": "u@example.com", "email_verified": true, "name": "Jane Doe"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.IDToken(c, alg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIDTokenRS256(b *testing.B) { benchIDToken(b, "RS256") }
func BenchmarkIDTokenES256(b *testing.B) { benchIDToken(b, "ES256") }

// goJoseSigner is a go-jose signer of a fresh key for alg with the header
// Minter writes, for the benchmarks of what Minter.sign replaced.
func goJoseSigner(b *testing.B, alg string) jose.Signer {
	var key any
	var err error
	if alg == "RS256" {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		b.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: key, KeyID: "kid-1", Algorithm: alg}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: &jwk},
		(&jose.SignerOptions{}).WithType(typAccessToken))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAccessTokenES256JWTBuilder is the alternative Minter.sign
// rejects: go-jose's signer and jwt builder, which round-trips the claims
// through a map.
func BenchmarkAccessTokenES256JWTBuilder(b *testing.B) {
	m := testMinter(b)
	signer := goJoseSigner(b, "ES256")
	c := fullAccess()
	b.ReportAllocs()
	for b.Loop() {
		p := accessPayload{
			Issuer: m.issuer, Subject: c.Subject, Audience: jwt.Audience(c.Audience),
			Expiry: numericDate(c.ExpiresAt), IssuedAt: numericDate(c.IssuedAt), ID: NewID(),
			ClientID: c.ClientID, Scope: "openid profile offline_access",
			AuthTime: numericDate(c.AuthTime), SessionID: c.SessionID,
		}
		if _, err := jwt.Signed(signer).Claims(p).Serialize(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAccessTokenES256(b *testing.B) {
	m := testMinter(b)
	tok, _ := m.AccessToken(fullAccess(), "ES256")
	at := now.Add(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.VerifyAccessToken(tok, at); err != nil {
			b.Fatal(err)
		}
	}
}

// signOnlyPayload is an access token payload of the usual size.
var signOnlyPayload = []byte(`{"iss":"https://auth.example.com","sub":"user-1","aud":"https://api.example.com","exp":1748779800,"iat":1748779200,"jti":"abcdefghijklmnopqrstuv","client_id":"client-1","scope":"openid profile offline_access","auth_time":1748775600,"sid":"sid-1"}`)

// benchSignOnly is the floor under AccessToken: keys.JWSSigner signing a
// fixed payload of the same size into a compact JWS.
func benchSignOnly(b *testing.B, alg string) {
	m := testMinter(b)
	signer, err := m.keys.JWSSigner(alg, typAccessToken)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signer.Sign(signOnlyPayload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignOnlyRS256(b *testing.B) { benchSignOnly(b, "RS256") }
func BenchmarkSignOnlyES256(b *testing.B) { benchSignOnly(b, "ES256") }

// benchSignOnlyGoJose is the same through go-jose's signer, which signed
// every token before keys.JWSSigner.
func benchSignOnlyGoJose(b *testing.B, alg string) {
	signer := goJoseSigner(b, alg)
	b.ReportAllocs()
	for b.Loop() {
		jws, err := signer.Sign(signOnlyPayload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignOnlyGoJoseRS256(b *testing.B) { benchSignOnlyGoJose(b, "RS256") }
func BenchmarkSignOnlyGoJoseES256(b *testing.B) { benchSignOnlyGoJose(b, "ES256") }

// numericDate is the go-jose NumericDate the JWT builder benchmark needs;
// the zero time becomes 0, which "omitempty" drops.
func numericDate(t time.Time) jwt.NumericDate {
	if t.IsZero() {
		return 0
	}
	return jwt.NumericDate(t.Unix())
}
