package authorize_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// The fuzz targets' own fixture: one client of each shape the authorize
// rules tell apart. Built once; Finish applies the defaults as for a file.
var fzClients = func() *config.Config {
	sec, all := fzSecret, fzResponseTypes
	return fzFinish(&config.Config{
		Clients: []config.Client{
			{ID: "web", Secret: sec, RedirectURIs: []string{"https://app.example.com/cb", "https://app.example.com/cb2?tenant=a", "http://127.0.0.1:9000/cb"},
				Scopes: []string{"openid", "profile", "email", "offline_access"}, AllowOfflineAccess: true, ResponseTypes: all},
			{ID: "nooffline", Secret: sec, RedirectURIs: []string{"https://app.example.com/cb"}, Scopes: []string{"openid", "profile", "offline_access"}},
			{ID: "spa", Type: config.ClientPublic, RedirectURIs: []string{"https://spa.example.com/cb"}, Scopes: []string{"openid", "profile", "offline_access"}},
			{ID: "native", Type: config.ClientPublic, RedirectURIs: []string{"com.example.app:/oauth/cb"}, ResponseTypes: all},
			{ID: "pkce", Secret: sec, RedirectURIs: []string{"https://app.example.com/cb"}, RequirePKCE: true},
			{ID: "par", Secret: sec, RedirectURIs: []string{"https://app.example.com/cb"}, RequirePAR: true},
			{ID: "m2m", Secret: sec, GrantTypes: []string{config.GrantClientCredentials}, Scopes: []string{"api"}},
		},
	})
}()

// What the fuzz fixtures share: a secret long enough for Finish, every
// response type, and the issuer.
const fzSecret = "fz-secret-0123456789abcdefghijklmnopqrstuv"

var fzResponseTypes = []string{config.ResponseCode, config.ResponseCodeIDToken, config.ResponseCodeToken, config.ResponseCodeIDTokenToken}

// fzFinish finishes a fixture's configuration as for a file, once.
func fzFinish(cfg *config.Config) *config.Config {
	cfg.Issuer = "https://login.example.com"
	if err := cfg.Finish(); err != nil {
		panic(err)
	}
	return cfg
}

// fzParams parses a fuzzed query, so repeated and odd parameters arrive as
// they would from a browser; a query url.ParseQuery refuses never reaches
// the authorize rules.
func fzParams(raw string) (url.Values, bool) {
	p, err := url.ParseQuery(raw)
	return p, err == nil
}

// FuzzParseClient: the client and redirect URI are what decide whether an
// error may be sent back to the client (RFC 6749 §4.1.2.1), so an accepted
// pair must be exact: a registered client allowed the code flow, and one of
// its registered redirect URIs byte for byte (RFC 9700 §4.1.3), given once,
// or a registered loopback IP redirect URI with another port and nothing
// else changed (RFC 8252 §7.3). Never a fragment, not even an empty one
// (RFC 6749 §3.1.2). A refusal is a page error, never a redirect.
func FuzzParseClient(f *testing.F) {
	f.Fuzz(func(t *testing.T, query string) {
		p, ok := fzParams(query)
		if !ok {
			return
		}
		c, ru, perr := authorize.ParseClient(p, fzClients)
		if perr != nil {
			if perr.Code == "" || perr.Message == "" {
				t.Fatalf("page error %+v lacks a code or message", perr)
			}
			return
		}
		if len(p["client_id"]) != 1 || len(p["redirect_uri"]) != 1 {
			t.Fatalf("accepted a repeated or missing client_id/redirect_uri: %q", query)
		}
		if c.ID != p.Get("client_id") || !c.HasGrant(config.GrantAuthorizationCode) {
			t.Fatalf("accepted client %q for client_id %q", c.ID, p.Get("client_id"))
		}
		if ru != p.Get("redirect_uri") || (!slices.Contains(c.RedirectURIs, ru) && !loopbackVariant(c.RedirectURIs, ru)) {
			t.Fatalf("accepted redirect_uri %q, registered %q", ru, c.RedirectURIs)
		}
		if u, err := url.Parse(ru); err != nil || !u.IsAbs() || strings.Contains(ru, "#") {
			t.Fatalf("accepted redirect_uri %q is not absolute or has a fragment", ru)
		}
	})
}

// loopbackVariant: ru is one of registered but for the port, and both are
// http on the IPv4 or IPv6 loopback literal (RFC 8252 §7.3), compared as
// strings with the port cut out.
func loopbackVariant(registered []string, ru string) bool {
	cut := func(raw string) (string, bool) {
		rest, ok := strings.CutPrefix(strings.ToLower(raw[:min(len(raw), 7)]), "http://")
		if !ok || rest != "" || strings.ContainsAny(raw, "#@") {
			return "", false
		}
		hostEnd := strings.IndexAny(raw[7:]+"/", "/?") + 7
		host, port := raw[7:hostEnd], ""
		if i := strings.LastIndex(host, ":"); i >= 0 && !strings.HasSuffix(host, "]") {
			host, port = host[:i], host[i+1:]
		}
		if host != "127.0.0.1" && host != "[::1]" || strings.Trim(port, "0123456789") != "" {
			return "", false
		}
		return "http://" + host + raw[hostEnd:], true
	}
	want, ok := cut(ru)
	if !ok {
		return false
	}
	for _, r := range registered {
		if got, ok := cut(r); ok && got == want {
			return true
		}
	}
	return false
}

// FuzzValidate builds authorization requests from fuzzed parameters for
// each fixture client and checks that whatever Validate accepts keeps the
// rules of OIDC Core §3, RFC 6749 §4.1.1, RFC 7636 and RFC 9700 §2.1.1, and
// that the response type and response mode combine as Multiple Response
// Types §5 and Form Post §2 allow. query adds anything else, repeats
// included.
func FuzzValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, client uint8, pushed bool, responseType, responseMode, scope, nonce, challenge, method, prompt, maxAge, query string) {
		c := &fzClients.Clients[int(client)%len(fzClients.Clients)]
		if !c.HasGrant(config.GrantAuthorizationCode) {
			return // ParseClient refuses it before Validate runs
		}
		ru := c.RedirectURIs[int(client)/len(fzClients.Clients)%len(c.RedirectURIs)]
		p, ok := fzParams(query)
		if !ok {
			return
		}
		for k, v := range map[string]string{"response_type": responseType, "response_mode": responseMode, "scope": scope,
			"nonce": nonce, "code_challenge": challenge, "code_challenge_method": method, "prompt": prompt, "max_age": maxAge} {
			if v != "" {
				p.Add(k, v)
			}
		}
		p.Set("client_id", c.ID)
		p.Set("redirect_uri", ru)

		req, err := authorize.Validate(p, c, ru, pushed)
		if err != nil {
			var oe *oautherr.Error
			if !errors.As(err, &oe) || oe.Code == "" || oe.Description == "" || oe.Status >= 500 {
				t.Fatalf("refusal %v (%T): want an *oautherr.Error, not a 5xx, with a description", err, err)
			}
			// The error goes back with the state (RFC 6749 §4.1.2.1), unless
			// the state is itself what was refused: over its cap or holding a
			// control character, it is not echoed.
			wantState := p.Get("state")
			if len(wantState) > authorize.MaxParamBytes["state"] || strings.ContainsFunc(wantState, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				wantState = ""
			}
			if req.State != wantState || req.RedirectURI != ru || req.ClientID != c.ID {
				t.Fatalf("refused request lost the state or redirect needed to answer the client: %+v", req)
			}
			return
		}
		checkValidated(t, p, c, ru, pushed, req)
	})
}

func checkValidated(t *testing.T, p url.Values, c *config.Client, ru string, pushed bool, req authorize.Request) {
	t.Helper()
	for k, v := range p {
		if len(v) != 1 {
			t.Fatalf("accepted parameter %s %d times", k, len(v))
		}
	}
	if p.Has("request") {
		t.Fatalf("accepted a request object")
	}
	// Issue 10, flaw 3: an unauthenticated caller makes the server store
	// these, so each is capped, and free text holds no control character.
	for k, v := range p {
		limit, ok := authorize.MaxParamBytes[k]
		if !ok {
			limit = authorize.MaxOtherParamBytes
		}
		if len(v[0]) > limit {
			t.Fatalf("accepted %s of %d bytes, over its cap of %d", k, len(v[0]), limit)
		}
	}
	for _, k := range []string{"state", "nonce", "login_hint", "ui_locales", "acr_values"} {
		if strings.ContainsFunc(p.Get(k), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("accepted a control character in %s: %q", k, p.Get(k))
		}
	}
	if c.RequirePAR && !pushed {
		t.Fatalf("client %q requires PAR and an unpushed request passed", c.ID)
	}
	if req.ClientID != c.ID || req.RedirectURI != ru || req.Pushed != pushed || req.State != p.Get("state") ||
		req.Nonce != p.Get("nonce") || req.LoginHint != p.Get("login_hint") || req.UILocales != p.Get("ui_locales") {
		t.Fatalf("request %+v does not carry the parameters %q", req, p)
	}

	// Response type: one the client is registered for, as sent modulo order.
	rt := req.ResponseType
	if !slices.Contains(c.ResponseTypes, rt) {
		t.Fatalf("response_type %q is not registered for %q (%q)", rt, c.ID, c.ResponseTypes)
	}
	sent := strings.Fields(p.Get("response_type"))
	slices.Sort(sent)
	want := strings.Fields(rt)
	slices.Sort(want)
	if !slices.Equal(sent, want) {
		t.Fatalf("response_type %q became %q", p.Get("response_type"), rt)
	}

	// Response mode: tokens never in a query (Multiple Response Types §5);
	// form_post only to an http(s) endpoint; the default is query for code,
	// fragment otherwise.
	tokens := rt != config.ResponseCode
	switch req.ResponseMode {
	case authorize.ModeQuery:
		if tokens {
			t.Fatalf("response_type %q answered in the query", rt)
		}
	case authorize.ModeFragment:
	case authorize.ModeFormPost:
		if u, err := url.Parse(ru); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			t.Fatalf("form_post to %q", ru)
		}
	default:
		t.Fatalf("response_mode %q", req.ResponseMode)
	}
	if m := p.Get("response_mode"); m != "" && m != req.ResponseMode {
		t.Fatalf("response_mode %q became %q", m, req.ResponseMode)
	}
	if p.Get("response_mode") == "" && (req.ResponseMode == authorize.ModeFragment) != tokens {
		t.Fatalf("default response_mode for %q is %q", rt, req.ResponseMode)
	}

	// Scope: registered for the client; offline_access only for a
	// confidential client allowed it; openid and a nonce with an ID token.
	for _, s := range req.Scopes {
		if !c.AllowsScope(s) {
			t.Fatalf("granted scope %q not registered for %q", s, c.ID)
		}
		if s == config.ScopeOfflineAccess && (c.Type == config.ClientPublic || !c.AllowOfflineAccess) {
			t.Fatalf("offline_access for client %q (%s, allow_offline_access %v)", c.ID, c.Type, c.AllowOfflineAccess)
		}
		if !p.Has("scope") && s == config.ScopeOfflineAccess {
			t.Fatalf("offline_access granted without being asked for")
		}
	}
	if p.Has("scope") {
		for _, s := range req.Scopes {
			if !slices.Contains(strings.Fields(p.Get("scope")), s) {
				t.Fatalf("scope %q granted but not asked for in %q", s, p.Get("scope"))
			}
		}
	}
	if strings.Contains(rt, "id_token") && (!slices.Contains(req.Scopes, "openid") || req.Nonce == "") {
		t.Fatalf("an ID token from the authorize endpoint without openid or nonce (OIDC Core §3.3.2.11)")
	}

	// PKCE: S256 only, 43 base64url characters; required of public clients
	// and of require_pkce.
	if (c.Type == config.ClientPublic || c.RequirePKCE) && req.CodeChallenge == "" {
		t.Fatalf("client %q without PKCE", c.ID)
	}
	if req.CodeChallenge != "" {
		if req.CodeChallengeMethod != "S256" || len(req.CodeChallenge) != 43 ||
			strings.Trim(req.CodeChallenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("code_challenge %q method %q", req.CodeChallenge, req.CodeChallengeMethod)
		}
	} else if p.Get("code_challenge_method") != "" || p.Get("code_challenge") != "" {
		t.Fatalf("PKCE parameters sent and dropped")
	}

	// prompt: none, login, consent, none alone; max_age a count of seconds.
	for _, v := range req.Prompt {
		if v != "none" && v != "login" && v != "consent" {
			t.Fatalf("prompt %q", v)
		}
	}
	if req.Has("none") && len(req.Prompt) > 1 {
		t.Fatalf("prompt=none combined with %q", req.Prompt)
	}
	if len(req.Prompt) != len(slices.Compact(slices.Sorted(slices.Values(req.Prompt)))) {
		t.Fatalf("prompt values repeated: %q", req.Prompt)
	}
	if req.MaxAge < -1 || (req.MaxAge == -1) != (p.Get("max_age") == "") {
		t.Fatalf("max_age %d from %q", req.MaxAge, p.Get("max_age"))
	}
}
