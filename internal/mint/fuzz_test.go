package mint

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzVerifyIDTokenHint feeds VerifyIDTokenHint, which reads the
// id_token_hint of RP-initiated logout, two kinds of input in each run:
//
//   - raw, any string at all, as a browser may send it: nothing but a token
//     this issuer signed may be accepted;
//   - payload signed with the issuer's real key under typ (and alg ES256 or
//     RS256): every signed payload reaches the claim checks. What is accepted
//     must verify with the published JWK Set (go-jose, not the code under
//     test), carry our iss and a single audience, not be typed as an access
//     token (RFC 9068 §4), and the hint's fields must be the payload's. A
//     payload with our iss and one audience, not typed at+jwt, is accepted
//     (expiry does not matter: RP-Initiated Logout §2 lets an expired ID
//     token identify the session).
func FuzzVerifyIDTokenHint(f *testing.F) {
	m := testMinter(f)
	jwks := publishedKeys(f, m)
	f.Fuzz(func(t *testing.T, raw string, payload []byte, typ string, es256 bool) {
		if h, err := m.VerifyIDTokenHint(raw); err == nil {
			checkAcceptedHint(t, jwks, raw, h)
		} else if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("refusal %v does not wrap ErrInvalidToken", err)
		}

		alg := "RS256"
		if es256 {
			alg = "ES256"
		}
		tok, err := m.sign(alg, typ, payload)
		if err != nil {
			t.Skip("the signer refuses this header") // never for a typ: json.Marshal encodes any string
		}
		h, err := m.VerifyIDTokenHint(tok)
		if err == nil {
			checkAcceptedHint(t, jwks, tok, h)
			return
		}
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("refusal %v does not wrap ErrInvalidToken", err)
		}
		if len(tok) <= maxTokenLen && isAccessTokenType(typ) == false && wellFormedIDTokenPayload(payload) {
			t.Fatalf("refused an ID token this issuer signed (typ %q): %v\npayload %s", typ, err, payload)
		}
	})
}

// checkAcceptedHint holds for every hint VerifyIDTokenHint accepts: among
// others, its audience names one client (an aud of null or "" names none).
func checkAcceptedHint(t *testing.T, jwks *jose.JSONWebKeySet, tok string, h IDTokenHint) {
	t.Helper()
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		t.Fatalf("accepted a hint go-jose cannot parse: %v", err)
	}
	sig := jws.Signatures[0]
	keys := jwks.Key(sig.Protected.KeyID)
	if len(keys) != 1 || keys[0].Algorithm != sig.Protected.Algorithm {
		t.Fatalf("accepted a hint whose kid %q (alg %s) is not in the published JWK Set", sig.Protected.KeyID, sig.Protected.Algorithm)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("accepted a hint that does not verify with our published key: %v", err)
	}
	if typ, _ := sig.Protected.ExtraHeaders[jose.HeaderType].(string); isAccessTokenType(typ) {
		t.Fatalf("accepted an access token (typ %q) as an ID token hint", typ)
	}
	var p struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Sid string          `json:"sid"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatalf("accepted a payload that is not a claims object: %q", payload)
	}
	if p.Iss != issuer {
		t.Fatalf("accepted iss %q, want %q", p.Iss, issuer)
	}
	if h.Subject != p.Sub || h.SessionID != p.Sid || h.ClientID != singleAudience(t, p.Aud) {
		t.Fatalf("hint %+v does not hold the payload's sub, aud and sid: %s", h, payload)
	}
}

func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, typAccessToken) || strings.EqualFold(typ, "application/"+typAccessToken)
}

// singleAudience returns aud as one string, from a string or a one-element
// list; anything else fails the test.
func singleAudience(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var one string
	if json.Unmarshal(raw, &one) == nil && strings.HasPrefix(strings.TrimSpace(string(raw)), `"`) && one != "" {
		return one
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil || len(list) != 1 || list[0] == "" {
		t.Fatalf("accepted aud %s: want one audience", raw)
	}
	return list[0]
}

// wellFormedIDTokenPayload: a JSON object whose iss is ours and whose aud is
// one non-empty string or a list of one, with sub and sid strings when
// present.
func wellFormedIDTokenPayload(payload []byte) bool {
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil {
		return false
	}
	// encoding/json matches names without regard to case; a payload with
	// two spellings of one claim has no single reading, so it is not
	// required to pass.
	seen := map[string]bool{}
	for k := range p {
		l := strings.ToLower(k)
		if seen[l] {
			return false
		}
		seen[l] = true
		if l != k && (l == "iss" || l == "sub" || l == "aud" || l == "sid") {
			return false
		}
	}
	var iss string
	if json.Unmarshal(p["iss"], &iss) != nil || iss != issuer {
		return false
	}
	for _, k := range []string{"sub", "sid"} {
		var s string
		if v, ok := p[k]; ok && json.Unmarshal(v, &s) != nil {
			return false
		}
	}
	aud, ok := p["aud"]
	if !ok {
		return false
	}
	var one string
	if json.Unmarshal(aud, &one) == nil && strings.HasPrefix(strings.TrimSpace(string(aud)), `"`) {
		return one != ""
	}
	var list []string
	return json.Unmarshal(aud, &list) == nil && len(list) == 1 && list[0] != ""
}

// FuzzOpenRefreshToken feeds the refresh-token parser two kinds of input in
// each run:
//
//   - raw, any string a client may send: Open must not panic, a legacy
//     verdict means WellFormed, and a named one means the string spells
//     exactly the name read and its tag is HMAC-SHA256 under the name key,
//     recomputed from the format's definition (specTag);
//   - a token minted from grantID, gen and presented: minting succeeds
//     exactly for a grant id of 1 to 64 base64url characters and a
//     generation in 0..MaxGeneration, the token opens to that very name,
//     and changing any one byte of it (at pos) makes it unverifiable.
func FuzzOpenRefreshToken(f *testing.F) {
	k := testRefreshKeys()
	f.Add("", "Zm9vYmFyYmF6cXV4cXV1eA", 0, "tgrt_presented", uint(0), byte('A'))
	f.Add("tgrt_grant-1.7.kUerOKmDR8LKU6q_hc7ZUmGam6s-UPLaaQQ-WEMaPEAS46K8pHgCs1EVbHfZoTp6g", "grant-1", 7, "x", uint(14), byte('8'))
	f.Fuzz(func(t *testing.T, raw, grantID string, gen int, presented string, pos uint, c byte) {
		switch form, name := k.Open(raw); form {
		case LegacyRefresh:
			if !WellFormed(RefreshPrefix, raw) {
				t.Fatalf("Open(%q) = legacy, but it is not WellFormed", raw)
			}
		case NamedRefresh:
			if !strings.HasPrefix(raw, spelled(name)) || len(raw) != len(spelled(name))+secretChars+tagChars {
				t.Fatalf("Open(%q) read name %+v, which the token does not spell", raw, name)
			}
			if body := raw[:len(raw)-tagChars]; raw[len(body):] != specTag(t, testSecret, body) {
				t.Fatalf("Open(%q) verified a tag that is not HMAC-SHA256 under the name key", raw)
			}
		}

		tok, err := k.Successor(grantID, gen, presented)
		valid := len(grantID) >= 1 && len(grantID) <= 64 && strings.Trim(grantID,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == "" && gen >= 0 && gen <= MaxGeneration
		if (err == nil) != valid {
			t.Fatalf("Successor(%q, %d): err = %v; the name is valid: %v", grantID, gen, err, valid)
		}
		if err != nil {
			return
		}
		if form, name := k.Open(tok); form != NamedRefresh || name != (RefreshName{grantID, gen}) {
			t.Fatalf("Open(%q) = %v %+v, want %s/%d", tok, form, name, grantID, gen)
		}
		i := int(pos % uint(len(tok)))
		if tok[i] == c {
			return
		}
		edited := tok[:i] + string([]byte{c}) + tok[i+1:]
		if form, _ := k.Open(edited); form != NotRefreshToken {
			t.Fatalf("Open accepted %q, %q with byte %d changed", edited, tok, i)
		}
	})
}
