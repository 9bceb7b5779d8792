package mint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"time"
)

// accessJSON is the JSON of an access token as minted (RFC 9068 §2.2), in
// the member order tokens have always had. Plain Go types only: go-jose's
// jwt.NumericDate and jwt.Audience implement json.Marshaler, which costs a
// nested Marshal and a compaction pass per field. accessPayload, which
// verification decodes into, keeps them for their lenient decoding.
type accessJSON struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  any    `json:"aud"` // a string for one audience, else an array (RFC 7519 §4.1.3)
	Expiry    int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	Scope     string `json:"scope,omitempty"`
	AuthTime  int64  `json:"auth_time,omitempty"`
	SessionID string `json:"sid,omitempty"`
	// Cnf binds the token to a key (RFC 9449 §6.1): nil, and absent, for
	// a bearer token.
	Cnf *confirmation `json:"cnf,omitempty"`
}

// confirmation is the cnf claim (RFC 7800 §3.1) of a DPoP-bound token.
type confirmation struct {
	JKT string `json:"jkt"` // JWK SHA-256 thumbprint (RFC 9449 §6.1)
}

// idJSON is the JSON of an ID token (OIDC Core §2), likewise.
type idJSON struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	AuthTime  int64    `json:"auth_time"`
	Nonce     string   `json:"nonce,omitempty"`
	SessionID string   `json:"sid,omitempty"`
	AMR       []string `json:"amr,omitempty"`
	AZP       string   `json:"azp,omitempty"`
	AtHash    string   `json:"at_hash,omitempty"`
	CHash     string   `json:"c_hash,omitempty"`
}

// audience is "aud" as go-jose's jwt.Audience wrote it: a lone audience as
// a string, several as an array.
func audience(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}

// unixOrZero is RFC 7519 §2 NumericDate: whole seconds since the epoch;
// the zero time becomes 0, which "omitempty" drops.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// payloadBufs recycles payload buffers: a payload lives only until it is
// base64url-encoded into its token (keys.JWSSigner.Sign keeps nothing).
var payloadBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPayload keeps an outsized payload's buffer out of the pool.
const maxPooledPayload = 16 << 10

// signPayload encodes claims with the user claims extra merged in, and
// signs the result with m.sign. claims must be a struct whose every JSON
// name is in registered, so that no name appears twice.
func (m *Minter) signPayload(alg, typ string, claims any, extra map[string]any) (string, error) {
	buf := payloadBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPayload {
			buf.Reset()
			payloadBufs.Put(buf)
		}
	}()
	if err := encodePayload(buf, claims, extra); err != nil {
		return "", err
	}
	return m.sign(alg, typ, buf.Bytes())
}

// encodePayload writes claims and then the members of extra that are not
// registered names into buf as one JSON object, encoding each once: the
// registered claims' closing "}" becomes a ",", and the user claims'
// opening "{" is dropped. Escaping is encoding/json's, as json.Marshal's.
func encodePayload(buf *bytes.Buffer, claims any, extra map[string]any) error {
	enc := json.NewEncoder(buf)
	if err := enc.Encode(claims); err != nil {
		return fmt.Errorf("mint: encoding token claims: %w", err)
	}
	clean := userClaims(extra)
	if len(clean) == 0 {
		buf.Truncate(buf.Len() - 1) // Encode's "\n"
		return nil
	}
	// buf ends with "}\n"; the object has at least "iss" in it.
	buf.Truncate(buf.Len() - 2)
	buf.WriteByte(',')
	open := buf.Len()
	if err := enc.Encode(clean); err != nil {
		return fmt.Errorf("mint: encoding user claims: %w", err)
	}
	// buf[open:] is "{...}\n" with at least one member: drop "{" and "\n".
	b := buf.Bytes()
	copy(b[open:], b[open+1:len(b)-1])
	buf.Truncate(len(b) - 2)
	return nil
}

// userClaims is extra without the registered names: a registered value
// always wins, and the caller's map is never modified.
func userClaims(extra map[string]any) map[string]any {
	for k := range extra {
		if registered[k] {
			clean := maps.Clone(extra)
			maps.DeleteFunc(clean, func(k string, _ any) bool { return registered[k] })
			return clean
		}
	}
	return extra
}
