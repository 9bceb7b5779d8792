package mint

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestVerifyAccessTokenRoundTrip(t *testing.T) {
	m := testMinter(t)
	for _, alg := range algs {
		want := fullAccess()
		tok, err := m.AccessToken(want, alg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.VerifyAccessToken(tok, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", alg, got, want)
		}
	}
}

func TestVerifyAccessTokenExpiry(t *testing.T) {
	m := testMinter(t)
	c := fullAccess()
	tok, _ := m.AccessToken(c, "ES256")
	if _, err := m.VerifyAccessToken(tok, c.ExpiresAt.Add(-time.Second)); err != nil {
		t.Errorf("a second before exp: %v", err)
	}
	for _, at := range []time.Time{c.ExpiresAt, c.ExpiresAt.Add(time.Hour)} {
		if _, err := m.VerifyAccessToken(tok, at); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("at %v: err = %v, want ErrInvalidToken", at, err)
		}
	}
}

// signRaw signs payload as a compact JWS with an arbitrary key and header,
// to build tokens Tollgate itself would never issue.
func signRaw(t *testing.T, key any, alg jose.SignatureAlgorithm, kid, typ, payload string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyAccessTokenRejects(t *testing.T) {
	m := testMinter(t)
	good, _ := m.AccessToken(fullAccess(), "ES256")
	idTok, _ := m.IDToken(fullID(), "ES256")
	esKid, rsKid := signingKID(t, m, "ES256"), signingKID(t, m, "RS256")
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	claims := `{"iss":"` + issuer + `","sub":"s","aud":"a","exp":` + itoa(now.Add(time.Hour).Unix()) +
		`,"iat":` + itoa(now.Unix()) + `,"jti":"j","client_id":"c"}`
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString

	// A correctly signed token with other claims, by the real ES256 key.
	ownSigned := func(typ, payload string) string {
		s, err := m.keys.JWSSigner("ES256", typ)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Sign([]byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, err := m.VerifyAccessToken(ownSigned("at+jwt", claims), now); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	if _, err := m.VerifyAccessToken(ownSigned("application/AT+JWT", claims), now); err != nil {
		t.Errorf("typ application/AT+JWT refused: %v", err)
	}

	cases := map[string]string{
		"empty":              "",
		"garbage":            "not a token",
		"two parts":          parts[0] + "." + parts[1],
		"id token":           idTok,
		"no typ":             ownSigned("", claims),
		"typ JWT":            ownSigned("JWT", claims),
		"other issuer":       ownSigned("at+jwt", strings.Replace(claims, issuer, "https://evil.example", 1)),
		"no exp":             ownSigned("at+jwt", strings.Replace(claims, `"exp"`, `"xxx"`, 1)),
		"nbf in future":      ownSigned("at+jwt", strings.Replace(claims, `"jti"`, `"nbf":`+itoa(now.Add(time.Minute).Unix())+`,"jti"`, 1)),
		"claims not json":    ownSigned("at+jwt", "hello"),
		"claims wrong type":  ownSigned("at+jwt", strings.Replace(claims, `"sub":"s"`, `"sub":7`, 1)),
		"tampered payload":   parts[0] + "." + enc([]byte(claims)) + "." + parts[2],
		"tampered sig":       parts[0] + "." + parts[1] + "." + enc([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
		"unknown kid":        signRaw(t, foreign, jose.ES256, "foreign", "at+jwt", claims),
		"no kid":             signRaw(t, foreign, jose.ES256, "", "at+jwt", claims),
		"spoofed kid":        signRaw(t, foreign, jose.ES256, esKid, "at+jwt", claims),
		"alg/key mismatch":   signRaw(t, foreign, jose.ES256, rsKid, "at+jwt", claims),
		"HS256":              signRaw(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, esKid, "at+jwt", claims),
		"alg none":           enc([]byte(`{"alg":"none","typ":"at+jwt","kid":"`+esKid+`"}`)) + "." + enc([]byte(claims)) + ".",
		"json serialization": `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		"too long":           good + strings.Repeat("A", maxTokenLen),
	}
	for name, tok := range cases {
		c, err := m.VerifyAccessToken(tok, now)
		if !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v, want ErrInvalidToken", name, err)
		}
		if !reflect.DeepEqual(c, AccessClaims{}) {
			t.Errorf("%s: returned claims %+v with the error", name, c)
		}
	}
	if _, err := NewMinter(m.keys, "https://other.example").VerifyAccessToken(good, now); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("other Minter issuer: err = %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func FuzzVerifyAccessToken(f *testing.F) {
	m := testMinter(f)
	good, _ := m.AccessToken(fullAccess(), "ES256")
	rs, _ := m.AccessToken(fullAccess(), "RS256")
	idTok, _ := m.IDToken(fullID(), "ES256")
	for _, seed := range []string{
		good, rs, idTok, "", ".", "..", "a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.e30.",
		good[:len(good)/2], strings.ToUpper(good), `{"payload":""}`, good + ".x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := m.VerifyAccessToken(tok, now)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
			return
		}
		if c.Subject == "" || c.ExpiresAt.IsZero() {
			t.Fatalf("accepted %q with claims %+v", tok, c)
		}
	})
}
