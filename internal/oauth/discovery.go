package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"

	"github.com/tollgate-oidc/tollgate/internal/clientauth"
	"github.com/tollgate-oidc/tollgate/internal/requestobject"
)

// metadata is the discovery document (OIDC Discovery §3, RFC 8414 §2). It
// advertises only what works.
type metadata struct {
	Issuer                     string   `json:"issuer"`
	AuthorizationEndpoint      string   `json:"authorization_endpoint"`
	TokenEndpoint              string   `json:"token_endpoint"`
	JWKSURI                    string   `json:"jwks_uri"`
	UserinfoEndpoint           string   `json:"userinfo_endpoint,omitempty"`
	RevocationEndpoint         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint      string   `json:"introspection_endpoint"`
	ScopesSupported            []string `json:"scopes_supported"`
	ResponseTypesSupported     []string `json:"response_types_supported"`
	ResponseModesSupported     []string `json:"response_modes_supported"`
	CodeChallengeMethods       []string `json:"code_challenge_methods_supported"`
	PAREndpoint                string   `json:"pushed_authorization_request_endpoint"`
	RequirePAR                 bool     `json:"require_pushed_authorization_requests"`
	IssParameterSupported      bool     `json:"authorization_response_iss_parameter_supported"`
	EndSessionEndpoint         string   `json:"end_session_endpoint,omitempty"`
	PromptValuesSupported      []string `json:"prompt_values_supported,omitempty"`
	UILocalesSupported         []string `json:"ui_locales_supported,omitempty"`
	GrantTypesSupported        []string `json:"grant_types_supported"`
	SubjectTypesSupported      []string `json:"subject_types_supported,omitempty"`
	IDTokenSigningAlgs         []string `json:"id_token_signing_alg_values_supported,omitempty"`
	TokenAuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
	TokenAuthSigningAlgs       []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	RevocationAuthMethods      []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationAuthSigningAlgs  []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	IntrospectionAuthMethods   []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionAuthSignAlgs  []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	ClaimsSupported            []string `json:"claims_supported,omitempty"`
	ClaimsParameterSupported   bool     `json:"claims_parameter_supported"`
	RequestParameterSupported  bool     `json:"request_parameter_supported"`
	RequestURIParamSupported   bool     `json:"request_uri_parameter_supported"`
	RequestObjectSigningAlgs   []string `json:"request_object_signing_alg_values_supported"`
	BackchannelLogoutSupported bool     `json:"backchannel_logout_supported"`
	DPoPSigningAlgs            []string `json:"dpop_signing_alg_values_supported"` // RFC 9449 §5.1

	// OIDC Back-Channel Logout 1.0 §2.1: logout tokens (internal/notify)
	// carry a sid whenever the session has one.
	BackchannelLogoutSessionSupported bool `json:"backchannel_logout_session_supported"`
}

// signingAlgs are the algorithms tokens may be signed with.
var signingAlgs = []string{"RS256", "ES256"}

// renderDiscovery renders the OpenID and the RFC 8414 documents once.
func (s *Server) renderDiscovery() (oidc, oauth []byte, err error) {
	scopes := map[string]bool{"openid": true}
	claims := map[string]bool{}
	for _, n := range []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "amr", "azp", "at_hash"} {
		claims[n] = true
	}
	for _, c := range s.Config.Clients {
		for _, sc := range c.Scopes {
			scopes[sc] = true
		}
	}
	for _, u := range s.Config.Users {
		for n := range u.Claims {
			claims[n] = true
		}
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}
	m := metadata{
		Issuer:                    s.issuer,
		AuthorizationEndpoint:     s.issuer + PathAuthorize,
		TokenEndpoint:             s.issuer + PathToken,
		JWKSURI:                   s.issuer + PathJWKS,
		UserinfoEndpoint:          s.issuer + PathUserinfo,
		RevocationEndpoint:        s.issuer + PathRevocation,
		IntrospectionEndpoint:     s.issuer + PathIntrospect,
		ScopesSupported:           sortedKeys(scopes),
		ResponseTypesSupported:    []string{"code", "code id_token", "code token", "code id_token token"},
		ResponseModesSupported:    []string{"query", "fragment", "form_post"},
		CodeChallengeMethods:      []string{"S256"},
		PAREndpoint:               s.issuer + PathPAR,
		IssParameterSupported:     true,
		EndSessionEndpoint:        s.issuer + PathEndSession,
		PromptValuesSupported:     []string{"none", "login", "consent"},
		UILocalesSupported:        []string{"nb", "en"},
		GrantTypesSupported:       []string{"authorization_code", "password", "client_credentials", "refresh_token"},
		SubjectTypesSupported:     []string{"public"},
		IDTokenSigningAlgs:        signingAlgs,
		TokenAuthMethods:          authMethods,
		TokenAuthSigningAlgs:      clientauth.AssertionAlgs,
		RevocationAuthMethods:     authMethods,
		RevocationAuthSigningAlgs: clientauth.AssertionAlgs,
		IntrospectionAuthMethods:  slices.DeleteFunc(slices.Clone(authMethods), func(m string) bool { return m == "none" }),
		IntrospectionAuthSignAlgs: clientauth.AssertionAlgs,
		ClaimsSupported:           sortedKeys(claims),
		DPoPSigningAlgs:           s.Config.DPoP.SigningAlgs,
		// RFC 9101 §10.5 / OIDC Discovery: signed request objects by value
		// (and pushed); request_uri by reference only from PAR.
		RequestParameterSupported: true,
		RequestObjectSigningAlgs:  requestobject.Algs,

		// internal/notify sends logout tokens (app wires it).
		BackchannelLogoutSupported: true, BackchannelLogoutSessionSupported: true,
	}
	if oidc, err = json.Marshal(m); err != nil {
		return nil, nil, err
	}
	// RFC 8414 has no OpenID-only members.
	m.SubjectTypesSupported, m.IDTokenSigningAlgs, m.ClaimsSupported, m.UserinfoEndpoint = nil, nil, nil, ""
	m.EndSessionEndpoint, m.PromptValuesSupported = "", nil
	oauth, err = json.Marshal(m)
	return oidc, oauth, err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) serveDiscovery(doc []byte) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(doc)
		return nil
	}
}

// jwks publishes the public signing keys (RFC 7517 §5). A client fetches
// them when it meets a kid it does not know, perhaps one another node just
// added, so the set is reloaded from the store first: at most once per
// keys.DefaultReloadGap, and bounded by jwksReloadTimeout; on failure the
// keys loaded before are served.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), jwksReloadTimeout)
	s.Keys.Refresh(ctx)
	cancel()
	w.Header().Set("Content-Type", "application/json")
	// keys.jwks_max_age: a new key is published at least this long before
	// it signs (RFC 9111 §5.2.2.1 max-age; OIDC Core §10.1.1 rollover).
	w.Header().Set("Cache-Control", s.Keys.CacheControl())
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(s.Keys.JWKSJSON())
	return nil
}
