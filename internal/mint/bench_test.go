package mint

import (
	"testing"
	"time"

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

// BenchmarkAccessTokenES256JWTBuilder is the alternative Minter.sign
// rejects: go-jose's jwt builder, which round-trips the claims through a map.
func BenchmarkAccessTokenES256JWTBuilder(b *testing.B) {
	m := testMinter(b)
	signer, _, err := m.keys.TypedSigner("ES256", typAccessToken)
	if err != nil {
		b.Fatal(err)
	}
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

// benchSignOnly is the floor under AccessToken: go-jose signing a fixed
// payload of the same size and serializing it.
func benchSignOnly(b *testing.B, alg string) {
	m := testMinter(b)
	signer, _, _ := m.keys.TypedSigner(alg, typAccessToken)
	payload := []byte(`{"iss":"https://auth.example.com","sub":"user-1","aud":"https://api.example.com","exp":1748779800,"iat":1748779200,"jti":"abcdefghijklmnopqrstuv","client_id":"client-1","scope":"openid profile offline_access","auth_time":1748775600,"sid":"sid-1"}`)
	b.ReportAllocs()
	for b.Loop() {
		jws, err := signer.Sign(payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.CompactSerialize(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignOnlyRS256(b *testing.B) { benchSignOnly(b, "RS256") }
func BenchmarkSignOnlyES256(b *testing.B) { benchSignOnly(b, "ES256") }
