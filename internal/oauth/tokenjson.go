package oauth

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/tollgate-oidc/tollgate/internal/grant"
)

// The token response (RFC 6749 §5.1) is written by hand into a pooled
// buffer: json.Marshal walked grant.Response by reflection on every token
// request. The bytes are json.Marshal's, field for field and in its order
// (FuzzTokenResponseJSON compares them).

// respBufs holds the buffers token responses are encoded into; one grown
// past 16 KiB is not kept.
var respBufs = newWipedBufs(2<<10, 16<<10)

// writeTokenResponse answers 200 with resp as JSON, as writeJSON would.
func writeTokenResponse(w http.ResponseWriter, resp *grant.Response) {
	bp := respBufs.get()
	*bp = appendTokenResponse((*bp)[:0], resp)
	w.Header()["Content-Type"] = hvJSON
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(*bp) // a Writer must not retain it (io.Writer)
	respBufs.put(bp)
}

// appendTokenResponse appends json.Marshal(r) to b: the fields in
// grant.Response's order, the omitempty ones left out when empty.
func appendTokenResponse(b []byte, r *grant.Response) []byte {
	b = append(b, `{"access_token":`...)
	b = appendJSONString(b, r.AccessToken)
	b = append(b, `,"token_type":`...)
	b = appendJSONString(b, r.TokenType)
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, r.ExpiresIn, 10)
	if r.Scope != "" {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, r.Scope)
	}
	if r.RefreshToken != "" {
		b = append(b, `,"refresh_token":`...)
		b = appendJSONString(b, r.RefreshToken)
	}
	if r.RTExpiresIn != 0 {
		b = append(b, `,"rt_expires_in":`...)
		b = strconv.AppendInt(b, r.RTExpiresIn, 10)
	}
	if r.IDToken != "" {
		b = append(b, `,"id_token":`...)
		b = appendJSONString(b, r.IDToken)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Tokens and scopes are
// printable ASCII that json.Marshal leaves as is, and are copied
// straight; anything else (a quote, a control character, <, > or &, which
// json.Marshal escapes for HTML, non-ASCII) goes through json.Marshal
// itself, so the bytes are its bytes either way.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
