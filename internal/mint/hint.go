package mint

import (
	"encoding/json"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// IDTokenHint is what RP-initiated logout learns from an id_token_hint.
type IDTokenHint struct {
	Subject   string
	ClientID  string // the aud (a single client)
	SessionID string // sid
}

// VerifyIDTokenHint checks an ID token this issuer signed, as an
// id_token_hint (OIDC RP-Initiated Logout §2): signature, typ JWT (not an
// access token) and iss. Expiry is not checked: the spec lets an expired ID
// token identify the session being ended.
func (m *Minter) VerifyIDTokenHint(tok string) (IDTokenHint, error) {
	if len(tok) > maxTokenLen {
		return IDTokenHint{}, invalid("too long")
	}
	jws, err := jose.ParseSignedCompact(tok, acceptedAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return IDTokenHint{}, invalid("not a compact JWS")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); strings.EqualFold(typ, typAccessToken) || strings.EqualFold(typ, "application/"+typAccessToken) {
		return IDTokenHint{}, invalid("an access token is not an ID token")
	}
	key, ok := m.keys.PublicKey(h.KeyID)
	if !ok || key.Algorithm != h.Algorithm {
		return IDTokenHint{}, invalid("unknown key")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return IDTokenHint{}, invalid("%v", err)
	}
	var p struct {
		Issuer   string          `json:"iss"`
		Subject  string          `json:"sub"`
		Audience json.RawMessage `json:"aud"`
		SID      string          `json:"sid"`
	}
	if err := json.Unmarshal(payload, &p); err != nil || p.Issuer != m.issuer {
		return IDTokenHint{}, invalid("claims")
	}
	var aud string
	if json.Unmarshal(p.Audience, &aud) != nil || aud == "" { // null or "" names no client
		var list []string
		if json.Unmarshal(p.Audience, &list) != nil || len(list) != 1 || list[0] == "" {
			return IDTokenHint{}, invalid("aud")
		}
		aud = list[0]
	}
	return IDTokenHint{Subject: p.Subject, ClientID: aud, SessionID: p.SID}, nil
}
