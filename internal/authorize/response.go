package authorize

import (
	"net/url"
	"strings"
)

// RedirectURL builds the redirect that carries params to the client in the
// query or the fragment of its redirect URI (RFC 6749 §4.1.2, Multiple
// Response Types §2). form_post is rendered by the caller.
func RedirectURL(redirectURI, mode string, params url.Values) string {
	enc := params.Encode()
	if mode == ModeFragment {
		return redirectURI + "#" + enc
	}
	// The registered URI may carry a query of its own (RFC 6749 §3.1.2), which is kept.
	sep := "?"
	if strings.Contains(redirectURI, "?") {
		sep = "&"
	}
	return redirectURI + sep + enc
}

// ErrorParams are the parameters of an error response (RFC 6749 §4.1.2.1),
// with the issuer (RFC 9207 §2).
func ErrorParams(code, description, state, issuer string) url.Values {
	p := url.Values{"error": {code}, "iss": {issuer}}
	if description != "" {
		p.Set("error_description", description)
	}
	if state != "" {
		p.Set("state", state)
	}
	return p
}
