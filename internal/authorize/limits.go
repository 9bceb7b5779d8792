package authorize

import (
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// MaxParamBytes caps the length of each authorization request parameter,
// in bytes. An unauthenticated caller can make the server store a request
// (parked while the user signs in, or pushed to /connect/par), so every
// parameter it can choose has a bound: a few KiB in all (issue 10, flaw
// 3). Generous enough for real clients: ASP.NET Core's protected state
// runs to about a kilobyte, an email address to 254 bytes (RFC 5321).
var MaxParamBytes = map[string]int{
	"client_id":             256,
	"redirect_uri":          2048,
	"response_type":         64,
	"response_mode":         32,
	"scope":                 2048,
	"state":                 4096,
	"nonce":                 512,
	"code_challenge":        128, // S256 challenges are 43 (RFC 7636 §4.2)
	"code_challenge_method": 16,
	"prompt":                64,
	"max_age":               16,
	"login_hint":            512,
	"ui_locales":            128,
	"acr_values":            512,
	"claims_locales":        128,
	"display":               16,
	"resource":              2048, // each of them (RFC 8707 §2.1)
}

// MaxOtherParamBytes caps any parameter not listed in MaxParamBytes (PAR
// stores them all).
const MaxOtherParamBytes = 4096

// freeText are the parameters stored as the client sent them: they must be
// UTF-8 text, and no control character belongs in them (RFC 6749 Appendix A.5: state is VSCHAR), and
// refusing them keeps a stored request within about its byte caps.
var freeText = []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"}

// checkLengths refuses a parameter over its cap, or a stored free-text
// parameter holding a control character, naming the parameter and the
// limit (RFC 6749 §4.1.2.1 invalid_request). Parameters are checked in
// name order, so the answer does not depend on map order.
func checkLengths(p url.Values) *oautherr.Error {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		limit, ok := MaxParamBytes[k]
		if !ok {
			limit = MaxOtherParamBytes
		}
		for _, v := range p[k] {
			if len(v) > limit {
				return oautherr.New(oautherr.InvalidRequest, "the %s parameter is %d bytes long; the limit is %d bytes", shortName(k), len(v), limit)
			}
		}
	}
	for _, k := range freeText {
		v := p.Get(k)
		if !utf8.ValidString(v) {
			// The nonce goes into the ID token's JSON, which cannot carry
			// such bytes, and PostgreSQL's text columns refuse them.
			return oautherr.New(oautherr.InvalidRequest, "the %s parameter is not UTF-8 text", k)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return oautherr.New(oautherr.InvalidRequest, "the %s parameter contains a control character", k)
		}
	}
	return nil
}

// shortName bounds a parameter name quoted in an error.
func shortName(k string) string {
	if len(k) > 64 {
		return k[:64] + "…"
	}
	return k
}
