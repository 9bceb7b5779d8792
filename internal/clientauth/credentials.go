package clientauth

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// Credentials is what a request presents to identify its client. It holds a
// secret or assertion: String and LogValue leave both out.
type Credentials struct {
	// Method is the method the request used (config.AuthSecretBasic,
	// AuthSecretPost, AuthPrivateKeyJWT or AuthNone), or "" when the request
	// carries no client identification at all.
	Method        string
	ClientID      string // for private_key_jwt, only if sent as client_id
	Secret        string
	AssertionType string
	Assertion     string
	// Endpoint is the absolute URL of the endpoint that received the
	// request, as the issuer names it (issuer + path). A client assertion
	// may name it, or the issuer, as its audience, and nothing else (RFC
	// 7523 §3 item 3): an assertion made for the token endpoint does not
	// authenticate at PAR, introspection or revocation. FromRequest leaves
	// it empty, since a request does not know its public URL behind a
	// proxy; the endpoint's handler sets it. Empty, only the issuer is
	// accepted.
	Endpoint string
}

// String names the method and client, never the secret.
func (c Credentials) String() string { return c.Method + " client_id=" + c.ClientID }

// LogValue keeps secrets out of slog records.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("method", c.Method), slog.String("client_id", c.ClientID))
}

// Form parameters of RFC 6749 §2.3.1 and RFC 7521 §4.2.
const (
	paramClientID      = "client_id"
	paramClientSecret  = "client_secret"
	paramAssertionType = "client_assertion_type"
	paramAssertion     = "client_assertion"
)

// FromRequest extracts client credentials from a request whose body the
// caller has already parsed (r.ParseForm, size-limited). Only the body
// counts: RFC 6749 §2.3.1 forbids credentials in the request URI, so a
// secret or assertion in the query string is refused outright rather than
// ignored, since it has already leaked into logs along the way.
func FromRequest(r *http.Request) (Credentials, error) {
	if r.URL != nil && r.URL.RawQuery != "" {
		q := r.URL.Query()
		if q.Has(paramClientSecret) || q.Has(paramAssertion) {
			return Credentials{}, oautherr.New(oautherr.InvalidRequest, "client credentials must be sent in the request body, never in the URL (RFC 6749 §2.3.1); this secret has been exposed and should be replaced")
		}
	}
	form := r.PostForm
	for _, k := range [...]string{paramClientID, paramClientSecret, paramAssertionType, paramAssertion} {
		if len(form[k]) > 1 {
			// RFC 6749 §3.2: parameters must not be included more than once.
			return Credentials{}, oautherr.New(oautherr.InvalidRequest, "parameter %s is repeated", k)
		}
	}
	id := form.Get(paramClientID)
	sec := form.Get(paramClientSecret)
	atype := form.Get(paramAssertionType)
	assertion := form.Get(paramAssertion)

	hdr := r.Header.Values("Authorization")
	if len(hdr) > 1 {
		return Credentials{}, oautherr.New(oautherr.InvalidRequest, "more than one Authorization header")
	}
	basic := len(hdr) == 1

	// RFC 6749 §2.3: "The client MUST NOT use more than one authentication
	// method in each request." An empty client_secret counts as absent: some
	// libraries send client_secret= for public clients.
	n := 0
	for _, used := range [...]bool{basic, sec != "", atype != "" || assertion != ""} {
		if used {
			n++
		}
	}
	if n > 1 {
		return Credentials{}, oautherr.New(oautherr.InvalidRequest, "use exactly one client authentication method: the request combines %s", describe(basic, sec != "", atype != "" || assertion != ""))
	}

	switch {
	case basic:
		bid, bsec, err := parseBasic(hdr[0])
		if err != nil {
			return Credentials{}, err
		}
		if id != "" && id != bid {
			return Credentials{}, oautherr.New(oautherr.InvalidRequest, "client_id in the body (%q) differs from the client id in the Authorization header (%q)", id, bid)
		}
		return Credentials{Method: config.AuthSecretBasic, ClientID: bid, Secret: bsec}, nil
	case assertion != "" || atype != "":
		if assertion == "" {
			return Credentials{}, oautherr.New(oautherr.InvalidRequest, "client_assertion_type is present but client_assertion is missing (RFC 7521 §4.2)")
		}
		if atype == "" {
			return Credentials{}, oautherr.New(oautherr.InvalidRequest, "client_assertion needs client_assertion_type=%s (RFC 7523 §2.2)", AssertionType)
		}
		return Credentials{Method: config.AuthPrivateKeyJWT, ClientID: id, AssertionType: atype, Assertion: assertion}, nil
	case sec != "":
		if id == "" {
			return Credentials{}, oautherr.New(oautherr.InvalidRequest, "client_secret needs client_id in the body (client_secret_post, RFC 6749 §2.3.1)")
		}
		return Credentials{Method: config.AuthSecretPost, ClientID: id, Secret: sec}, nil
	case id != "":
		return Credentials{Method: config.AuthNone, ClientID: id}, nil
	}
	return Credentials{}, nil
}

func describe(basic, post, jwt bool) string {
	var parts []string
	if basic {
		parts = append(parts, "an Authorization header")
	}
	if post {
		parts = append(parts, "client_secret in the body")
	}
	if jwt {
		parts = append(parts, "client_assertion")
	}
	return strings.Join(parts, " and ")
}

// parseBasic reads "Basic base64(urlencode(id):urlencode(secret))". RFC 6749
// §2.3.1 form-urlencodes both parts before Basic encoding, so a secret may
// contain ":" and the id is decoded the same way.
func parseBasic(h string) (id, secret string, err error) {
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		scheme, _, _ := strings.Cut(h, " ")
		return "", "", oautherr.New(oautherr.InvalidClient, "Authorization scheme %q is not supported here: use Basic with the client id and secret (RFC 6749 §2.3.1)", scheme)
	}
	payload := strings.TrimLeft(h[len(prefix):], " ")
	// Decode through stack buffers: this runs on every token request, and
	// []byte(payload) alone would allocate.
	var in [344]byte
	var out [258]byte // base64 DecodedLen of 344
	src, dst := in[:], out[:]
	if len(payload) > len(in) {
		src, dst = make([]byte, len(payload)), make([]byte, base64.StdEncoding.DecodedLen(len(payload)))
	}
	src = src[:copy(src, payload)]
	n, derr := base64.StdEncoding.Decode(dst, src)
	if derr != nil {
		return "", "", oautherr.New(oautherr.InvalidClient, "the Basic credentials are not valid base64")
	}
	decoded := string(dst[:n])
	rawID, rawSecret, ok := strings.Cut(decoded, ":")
	if !ok {
		return "", "", oautherr.New(oautherr.InvalidClient, "the Basic credentials have no \":\" between client id and secret")
	}
	if id, err = url.QueryUnescape(rawID); err == nil {
		secret, err = url.QueryUnescape(rawSecret)
	}
	if err != nil {
		return "", "", oautherr.New(oautherr.InvalidClient, "the Basic credentials are not form-urlencoded: encode the client id and secret with application/x-www-form-urlencoded before Basic encoding (RFC 6749 §2.3.1)")
	}
	if id == "" {
		return "", "", oautherr.New(oautherr.InvalidClient, "the Basic credentials have an empty client id")
	}
	return id, secret, nil
}
