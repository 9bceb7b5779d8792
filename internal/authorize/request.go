package authorize

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// Request is a validated authorization request.
type Request struct {
	ClientID            string   `json:"client_id"`
	RedirectURI         string   `json:"redirect_uri"`
	ResponseType        string   `json:"response_type"`
	ResponseMode        string   `json:"response_mode"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	Scopes              []string `json:"scopes"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              int      `json:"max_age"` // -1 when absent
	LoginHint           string   `json:"login_hint,omitempty"`
	UILocales           string   `json:"ui_locales,omitempty"`
	Pushed              bool     `json:"pushed,omitempty"` // arrived through PAR
	// Resources are the resource indicators asked for (RFC 8707 §2.1),
	// each one the client may ask for; they travel to the code.
	Resources []string `json:"resources,omitempty"`
	// DPoPJKT binds the code to a DPoP key (RFC 9449 §10, dpop_jkt).
	DPoPJKT string `json:"dpop_jkt,omitempty"`
}

// Response modes (OAuth 2.0 Multiple Response Type Encoding Practices §2,
// OAuth 2.0 Form Post Response Mode).
const (
	ModeQuery    = "query"
	ModeFragment = "fragment"
	ModeFormPost = "form_post"
)

// PageError is an error the user sees on a page, because the client or the
// redirect URI cannot be trusted with a redirect (RFC 6749 §4.1.2.1).
type PageError struct {
	Code    string
	Message string
}

func (e *PageError) Error() string { return e.Code + ": " + e.Message }

func pageErr(code, format string, a ...any) *PageError {
	return &PageError{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Clients finds registered clients.
type Clients interface {
	Client(id string) (*config.Client, bool)
}

// ParseClient finds the client and checks the redirect URI: the two things
// that must hold before any error may go back to the client.
func ParseClient(p url.Values, clients Clients) (*config.Client, string, *PageError) {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(p[k]) > 1 {
			return nil, "", pageErr(oautherr.InvalidRequest, "the %s parameter is repeated", k)
		}
	}
	for _, k := range []string{"client_id", "redirect_uri"} {
		if n := len(p.Get(k)); n > MaxParamBytes[k] {
			return nil, "", pageErr(oautherr.InvalidRequest, "the %s parameter is %d bytes long; the limit is %d bytes", k, n, MaxParamBytes[k])
		}
	}
	id := p.Get("client_id")
	if id == "" {
		return nil, "", pageErr(oautherr.InvalidRequest, "the client_id parameter is missing")
	}
	c, ok := clients.Client(id)
	if !ok {
		return nil, "", pageErr(oautherr.InvalidClient, "there is no client %q", id)
	}
	if !c.HasGrant(grant.TypeAuthorizationCode) {
		return nil, "", pageErr(oautherr.UnauthorizedClient, "client %q is not allowed the authorization code flow", id)
	}
	ru := p.Get("redirect_uri")
	if ru == "" {
		return nil, "", pageErr(oautherr.InvalidRequest, "the redirect_uri parameter is missing (OIDC Core §3.1.2.1 requires it)")
	}
	// RFC 9700 §4.1.3: exact string matching, nothing looser, with the one
	// exception it names: the port of a loopback IP redirect URI.
	if !slices.Contains(c.RedirectURIs, ru) && !loopbackMatch(c.RedirectURIs, ru) {
		return nil, "", pageErr(oautherr.InvalidRequest, "redirect_uri %q is not registered for client %q", ru, id)
	}
	return c, ru, nil
}

// loopbackMatch reports whether ru is a registered loopback IP redirect URI
// with another port. A native app listens on a port the OS picks at the time
// of the request, so the server must accept any port for http://127.0.0.1
// and http://[::1] (RFC 8252 §7.3, RFC 9700 §4.1.3); everything else (scheme,
// host, path, query) must still match exactly. "localhost" is not included:
// RFC 8252 §8.3 advises against it, since it may resolve off the machine.
func loopbackMatch(registered []string, ru string) bool {
	u, err := url.Parse(ru)
	if err != nil || !loopbackIP(u) || strings.Contains(ru, "#") { // "#" alone parses to no fragment (RFC 6749 §3.1.2)
		return false
	}
	for _, reg := range registered {
		r, err := url.Parse(reg)
		if err != nil || !loopbackIP(r) {
			continue
		}
		if r.Hostname() == u.Hostname() && r.EscapedPath() == u.EscapedPath() && r.RawQuery == u.RawQuery &&
			r.User == nil && u.User == nil && !r.ForceQuery && !u.ForceQuery {
			return true
		}
	}
	return false
}

// loopbackIP: an http URI whose host is the IPv4 or IPv6 loopback literal,
// with no fragment.
func loopbackIP(u *url.URL) bool {
	if u.Scheme != "http" || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	h := u.Hostname()
	return h == "127.0.0.1" || h == "::1"
}

// Validate checks an authorization request for client c (already checked by
// ParseClient) and returns it, or a redirectable *oautherr.Error.
// pushed says the request came through PAR (RFC 9126).
func Validate(p url.Values, c *config.Client, redirectURI string, pushed bool) (Request, error) {
	req := Request{ClientID: c.ID, RedirectURI: redirectURI, State: p.Get("state"), MaxAge: -1, Pushed: pushed}
	if len(req.State) > MaxParamBytes["state"] || strings.ContainsFunc(req.State, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		req.State = "" // never echoed, whatever else is wrong: a state we refuse could make the redirect itself too long
	}
	for k, v := range p {
		if len(v) > 1 && k != ParamResource {
			return req, oautherr.New(oautherr.InvalidRequest, "the %s parameter is repeated", k)
		}
	}
	if p.Has("request") {
		return req, oautherr.New("request_not_supported", "request objects are not supported; send the parameters directly or push them to the PAR endpoint")
	}
	if err := checkLengths(p); err != nil {
		return req, err
	}
	if c.RequirePAR && !pushed {
		return req, oautherr.New(oautherr.InvalidRequest, "client %q must push its authorization requests to the PAR endpoint first (RFC 9126)", c.ID)
	}
	rt := normalizeResponseType(p.Get("response_type"))
	switch rt {
	case "":
		return req, oautherr.New(oautherr.InvalidRequest, "the response_type parameter is missing")
	case config.ResponseCode, config.ResponseCodeIDToken, config.ResponseCodeToken, config.ResponseCodeIDTokenToken:
	default:
		return req, oautherr.New(oautherr.UnsupportedResponseType, "response_type %q is not supported; use code, or a hybrid type the client is registered for", p.Get("response_type"))
	}
	if !slices.Contains(c.ResponseTypes, rt) {
		return req, oautherr.New(oautherr.UnauthorizedClient, "client %q is not registered for response_type %q", c.ID, rt)
	}
	req.ResponseType = rt
	if err := req.setMode(p.Get("response_mode")); err != nil {
		return req, err
	}
	scope, given := p["scope"]
	var raw []string
	if given {
		raw = strings.Fields(scope[0])
	}
	scopes, err := grant.RequestedScope(c, raw, given)
	if err != nil {
		return req, err
	}
	req.Scopes = scopes
	req.Nonce = p.Get("nonce")
	if strings.Contains(rt, "id_token") {
		if !slices.Contains(scopes, grant.ScopeOpenID) {
			return req, oautherr.New(oautherr.InvalidScope, "response_type %q returns an ID token, so scope must include openid", rt)
		}
		// OIDC Core §3.3.2.11: nonce is required when an ID token comes from the authorization endpoint.
		if req.Nonce == "" {
			return req, oautherr.New(oautherr.InvalidRequest, "nonce is required when response_type includes id_token")
		}
	}
	if err := req.setResources(p[ParamResource], c); err != nil {
		return req, err
	}
	if err := req.setPKCE(p, c); err != nil {
		return req, err
	}
	if err := req.setPrompt(p); err != nil {
		return req, err
	}
	req.LoginHint, req.UILocales = p.Get("login_hint"), p.Get("ui_locales")
	if jkt, ok := p["dpop_jkt"]; ok {
		// RFC 9449 §10: the base64url SHA-256 thumbprint of the client's DPoP key.
		if !dpop.ValidJKT(jkt[0]) {
			return req, oautherr.New(oautherr.InvalidRequest, "dpop_jkt must be the 43-character base64url SHA-256 JWK thumbprint of the DPoP key (RFC 9449 §10, RFC 7638)")
		}
		req.DPoPJKT = jkt[0]
	}
	return req, nil
}

// normalizeResponseType orders the space-separated values canonically: the
// order is not significant (Multiple Response Types §2).
func normalizeResponseType(s string) string {
	f := strings.Fields(s)
	order := map[string]int{"code": 0, "id_token": 1, "token": 2}
	slices.SortFunc(f, func(a, b string) int { return order[a] - order[b] })
	return strings.Join(f, " ")
}

func (r *Request) setMode(mode string) error {
	tokens := r.ResponseType != config.ResponseCode
	switch mode {
	case "":
		r.ResponseMode = ModeQuery
		if tokens {
			r.ResponseMode = ModeFragment // Multiple Response Types §5: the default for these types
		}
	case ModeQuery:
		// Multiple Response Types §5: tokens must never travel in the query string.
		if tokens {
			return oautherr.New(oautherr.InvalidRequest, "response_mode query cannot carry the tokens of response_type %q; use fragment or form_post", r.ResponseType)
		}
		r.ResponseMode = mode
	case ModeFormPost:
		// Form Post Response Mode §2: the browser POSTs to the redirect URI,
		// which only an http(s) endpoint can receive (not a native app's scheme).
		if u, err := url.Parse(r.RedirectURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return oautherr.New(oautherr.InvalidRequest, "response_mode form_post needs an http(s) redirect_uri; use query or fragment for %q", r.RedirectURI)
		}
		r.ResponseMode = mode
	case ModeFragment:
		r.ResponseMode = mode
	default:
		return oautherr.New(oautherr.InvalidRequest, "response_mode %q is not supported; use query, fragment or form_post", mode)
	}
	return nil
}

// setPKCE applies RFC 7636 with S256 only (RFC 9700 §2.1.1: plain is not
// offered), required of public clients and of clients with require_pkce.
func (r *Request) setPKCE(p url.Values, c *config.Client) error {
	ch, method := p.Get("code_challenge"), p.Get("code_challenge_method")
	if ch == "" {
		if method != "" {
			return oautherr.New(oautherr.InvalidRequest, "code_challenge_method was sent without code_challenge")
		}
		// RFC 9700 §2.1.1: a public client always uses PKCE, whatever its settings.
		if c.RequirePKCE || c.Type == config.ClientPublic {
			return oautherr.New(oautherr.InvalidRequest, "client %q must use PKCE: send code_challenge with code_challenge_method=S256 (RFC 7636)", c.ID)
		}
		return nil
	}
	if method != "S256" {
		return oautherr.New(oautherr.InvalidRequest, "code_challenge_method must be S256; %q is not supported", method)
	}
	// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
	if len(ch) != 43 || strings.ContainsFunc(ch, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return oautherr.New(oautherr.InvalidRequest, "code_challenge must be the 43-character base64url SHA-256 of the code verifier")
	}
	r.CodeChallenge, r.CodeChallengeMethod = ch, method
	return nil
}

// setPrompt reads prompt (OIDC Core §3.1.2.1) and max_age.
func (r *Request) setPrompt(p url.Values) error {
	for _, v := range strings.Fields(p.Get("prompt")) {
		switch v {
		case "none", "login", "consent":
			if !slices.Contains(r.Prompt, v) {
				r.Prompt = append(r.Prompt, v)
			}
		case "select_account":
			return oautherr.New(oautherr.InvalidRequest, "prompt=select_account is not supported")
		default:
			return oautherr.New(oautherr.InvalidRequest, "prompt %q is not one of none, login, consent", v)
		}
	}
	if slices.Contains(r.Prompt, "none") && len(r.Prompt) > 1 {
		return oautherr.New(oautherr.InvalidRequest, "prompt=none cannot be combined with other values")
	}
	if s := p.Get("max_age"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return oautherr.New(oautherr.InvalidRequest, "max_age must be a whole number of seconds")
		}
		r.MaxAge = n
	}
	return nil
}

// Has reports whether prompt includes v.
func (r *Request) Has(v string) bool { return slices.Contains(r.Prompt, v) }
