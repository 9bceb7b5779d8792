package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

var knownGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantPassword, GrantClientCredentials}

// validate checks one client; path names it in messages.
func (cl *Client) validate(ck *checker, path string) {
	if cl.ID == "" {
		ck.add(path+".id", "must be set")
	}
	public := cl.Type == ClientPublic
	switch cl.Type {
	case ClientConfidential, ClientPublic:
	default:
		ck.add(path+".type", "%q is not one of confidential, public", cl.Type)
	}
	cl.checkProfile(ck, path)
	cl.checkAuthMethod(ck, path)
	cl.checkGrants(ck, path)
	checkScopes(ck, path, cl.Scopes)
	cl.checkAdminScope(ck, path)

	// Seed: a client must be configured to receive refresh tokens, and only
	// a client that can keep a secret may be: a stolen refresh token from a
	// public client is easily misused.
	if cl.AllowOfflineAccess {
		p := path + ".allow_offline_access"
		if public {
			ck.add(p, "a public client cannot have allow_offline_access: public clients never receive refresh tokens")
		} else {
			if !cl.HasGrant(GrantRefreshToken) {
				ck.add(p, "needs %q in grant_types", GrantRefreshToken)
			}
			if !cl.AllowsScope(ScopeOfflineAccess) {
				ck.add(p, "needs %q in scopes: clients ask for a refresh token with that scope (OIDC Core §11)", ScopeOfflineAccess)
			}
		}
	} else if cl.AllowsScope(ScopeOfflineAccess) {
		ck.warn(path+".scopes", "lists offline_access but allow_offline_access is false, so the client will never receive a refresh token")
	}

	for i, raw := range cl.RedirectURIs {
		if reason := checkRedirectURI(raw); reason != "" {
			ck.add(path+".redirect_uris["+strconv.Itoa(i)+"]", "%q %s", raw, reason)
		} else if u, _ := url.Parse(raw); u.Scheme == "http" && !isLoopback(u.Hostname()) {
			// RFC 9700 §2.6: http redirect URIs are allowed only for native
			// apps on the loopback interface (RFC 8252 §7.3).
			ck.add(path+".redirect_uris["+strconv.Itoa(i)+"]", "%q uses http on a non-loopback host; codes would cross the network unencrypted: use https, or http://127.0.0.1 or http://[::1] for a native app (RFC 9700 §2.6)", raw)
		}
		if slices.Index(cl.RedirectURIs, raw) < i {
			ck.add(path+".redirect_uris["+strconv.Itoa(i)+"]", "%q is listed twice", raw)
		}
	}
	for i, raw := range cl.PostLogoutRedirectURIs {
		if reason := checkRedirectURI(raw); reason != "" {
			ck.add(path+".post_logout_redirect_uris["+strconv.Itoa(i)+"]", "%q %s", raw, reason)
		}
	}
	cl.checkNotify(ck, path)
	for i, rt := range cl.ResponseTypes {
		p := path + ".response_types[" + strconv.Itoa(i) + "]"
		switch rt {
		case ResponseCode, ResponseCodeIDToken, ResponseCodeToken, ResponseCodeIDTokenToken:
			if !cl.HasGrant(GrantAuthorizationCode) {
				ck.add(p, "%q needs the authorization_code grant in grant_types", rt)
			}
		default:
			ck.add(p, "%q is not one of %q, %q, %q, %q", rt, ResponseCode, ResponseCodeIDToken, ResponseCodeToken, ResponseCodeIDTokenToken)
		}
	}
	if cl.HasGrant(GrantAuthorizationCode) && len(cl.RedirectURIs) == 0 {
		ck.add(path+".redirect_uris", "the authorization_code grant needs at least one redirect URI (RFC 6749 §3.1.2.2)")
	}
}

func (cl *Client) checkAuthMethod(ck *checker, path string) {
	p := path + ".auth_method"
	switch cl.AuthMethod {
	case AuthNone:
		if cl.Type == ClientConfidential {
			ck.add(p, "a confidential client must authenticate: use client_secret_basic, client_secret_post or private_key_jwt, or set type: public")
		}
	case AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT:
		if cl.Type == ClientPublic {
			ck.add(p, "a public client cannot keep a secret, so its auth_method must be none (got %s)", cl.AuthMethod)
		}
	default:
		ck.add(p, "%q is not one of client_secret_basic, client_secret_post, private_key_jwt, none", cl.AuthMethod)
		return
	}

	usesSecret := cl.AuthMethod == AuthSecretBasic || cl.AuthMethod == AuthSecretPost
	switch {
	case !usesSecret && (cl.Secret != "" || cl.SecretHash != ""):
		ck.add(path+".secret", "is only used by client_secret_basic and client_secret_post, not %s; remove it", cl.AuthMethod)
	case !usesSecret:
	case cl.Secret != "" && cl.SecretHash != "":
		ck.add(path+".secret", "give secret or secret_hash, not both")
	case cl.Secret == "" && cl.SecretHash == "":
		ck.add(path+".secret_hash", "%s needs secret_hash (or secret); run `tollgate secret` to generate a secret and its hash", cl.AuthMethod)
	case cl.Secret != "":
		if len(cl.Secret) < secret.MinSecretLength {
			ck.add(path+".secret", "is %d characters; it must be at least %d — run `tollgate secret` to generate one", len(cl.Secret), secret.MinSecretLength)
		}
	default:
		if err := secret.CheckSecretHash(cl.SecretHash); err != nil {
			ck.add(path+".secret_hash", "%v; run `tollgate secret` to generate a secret and its hash", err)
		}
	}

	cl.keys = nil
	switch {
	case cl.AuthMethod != AuthPrivateKeyJWT:
		if cl.JWKS != nil {
			ck.add(path+".jwks", "is only used by private_key_jwt, not %s; remove it", cl.AuthMethod)
		}
		if cl.JWKSURI != "" {
			ck.add(path+".jwks_uri", "is only used by private_key_jwt, not %s; remove it", cl.AuthMethod)
		}
	case cl.JWKSURI != "" && cl.JWKS != nil:
		// RFC 7591 §2: "The "jwks_uri" and "jwks" parameters MUST NOT both be present".
		ck.add(path+".jwks_uri", "give jwks or jwks_uri, not both (RFC 7591 §2)")
	case cl.JWKSURI != "":
		if reason := checkJWKSURI(cl.JWKSURI); reason != "" {
			ck.add(path+".jwks_uri", "%q %s", cl.JWKSURI, reason)
		}
	default:
		keys, reason := parseJWKS(cl.JWKS)
		if reason != "" {
			ck.add(path+".jwks", "%s", reason)
		}
		cl.keys = keys
	}
	// RFC 9101 §10.5: a signed request object is verified with the
	// client's keys, which only a private_key_jwt client registers here.
	if cl.RequireSignedRequestObject && cl.AuthMethod != AuthPrivateKeyJWT {
		ck.add(path+".require_signed_request_object", "needs the client's public keys: use auth_method private_key_jwt with jwks or jwks_uri")
	}
}

// parseJWKS reads the client's public keys for private_key_jwt (RFC 7523
// §2.2). It accepts only public signature keys: a private key in the file
// means the client's key has leaked into our configuration.
func parseJWKS(m map[string]any) (*jose.JSONWebKeySet, string) {
	if m == nil {
		return nil, "private_key_jwt needs jwks with the client's public key(s): {keys: [{kty: EC, crv: P-256, x: ..., y: ...}]}, or jwks_uri"
	}
	for k := range m {
		if k != "keys" {
			return nil, `has unknown member "` + k + `": a JWK Set holds only "keys" (RFC 7517 §5)`
		}
	}
	list, ok := m["keys"].([]any)
	if !ok || len(list) == 0 {
		return nil, "needs a non-empty keys list (RFC 7517 §5)"
	}
	set := &jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(list))}
	for i, item := range list {
		at := "keys[" + strconv.Itoa(i) + "]"
		raw, err := json.Marshal(item)
		if err != nil {
			return nil, at + " cannot be read as JSON: use string keys"
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return nil, at + " is not a valid JWK: " + strings.TrimPrefix(err.Error(), "go-jose/go-jose: ")
		}
		if !k.IsPublic() {
			return nil, at + " is a private or symmetric key; give only the public key (drop d, p, q, dp, dq, qi, k) and keep the private key with the client"
		}
		if k.Use != "" && k.Use != "sig" {
			return nil, at + ` has use "` + k.Use + `"; a client assertion key must have use "sig" or none`
		}
		switch pk := k.Key.(type) {
		case *rsa.PublicKey:
			if pk.N.BitLen() < 2048 {
				return nil, at + " is an RSA key shorter than 2048 bits"
			}
		case *ecdsa.PublicKey:
			if pk.Curve != elliptic.P256() && pk.Curve != elliptic.P384() {
				return nil, at + " is on curve " + pk.Curve.Params().Name + "; use P-256 (ES256) or P-384 (ES384)"
			}
		}
		set.Keys = append(set.Keys, k)
	}
	return set, ""
}

func (cl *Client) checkGrants(ck *checker, path string) {
	for i, g := range cl.GrantTypes {
		p := path + ".grant_types[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(knownGrants, g):
			ck.add(p, "%q is not one of %s", g, strings.Join(knownGrants, ", "))
		case slices.Index(cl.GrantTypes, g) < i:
			ck.add(p, "%q is listed twice", g)
		case cl.Type != ClientPublic:
		case g == GrantRefreshToken:
			ck.add(p, "a public client cannot have the refresh_token grant: public clients never receive refresh tokens")
		case g == GrantClientCredentials:
			ck.add(p, "a public client cannot have the client_credentials grant: it has no credentials (RFC 6749 §4.4)")
		case g == GrantPassword:
			ck.add(p, "a public client cannot have the password grant: it cannot be trusted with a user's password")
		}
	}
	if len(cl.GrantTypes) == 0 {
		ck.add(path+".grant_types", "must list at least one grant type")
	}
}

// checkScopes: RFC 6749 §3.3 scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func checkScopes(ck *checker, path string, scopes []string) {
	for i, s := range scopes {
		p := path + ".scopes[" + strconv.Itoa(i) + "]"
		switch {
		case s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }):
			ck.add(p, "%q is not a valid scope token (RFC 6749 §3.3: printable ASCII without spaces, \" or \\)", s)
		case slices.Index(scopes, s) < i:
			ck.add(p, "%q is listed twice", s)
		}
	}
}

// checkRedirectURI: RFC 6749 §3.1.2: absolute, no fragment. Custom schemes
// (com.example.app:/callback) are allowed for native apps (RFC 8252 §7.1).
func checkRedirectURI(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a URL"
	case !u.IsAbs():
		return "is not an absolute URL (RFC 6749 §3.1.2)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment (RFC 6749 §3.1.2)"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return "has no host"
	case slices.Contains(browserSchemes, strings.ToLower(u.Scheme)):
		// A browser runs or reads these itself: as a redirect target they
		// would hand the code to a script or a file, never to an app
		// (RFC 9700 §4.1, RFC 8252 §7.1: a private-use scheme names an app).
		return "uses a scheme the browser handles itself, not an app's private-use scheme"
	}
	return ""
}

// browserSchemes are URI schemes a browser executes or reads locally.
var browserSchemes = []string{"javascript", "data", "file", "blob", "vbscript", "about", "filesystem", "view-source"}
