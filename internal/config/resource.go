package config

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resource is one protected resource (an API) a client may name with the
// resource parameter (RFC 8707). An access token asked for it carries it
// as its only aud (RFC 8707 §2, RFC 9068 §3) and only the scopes it allows.
type Resource struct {
	// URI is the resource indicator: an absolute URI without a fragment
	// (RFC 8707 §2), compared as a string.
	URI string `yaml:"uri"`
	// Scopes are the scopes an access token for this resource may carry.
	// OpenID Connect's protocol scopes (openid, offline_access) are for
	// the ID token and the refresh token, never for an API.
	Scopes []string `yaml:"scopes"`
	// AccessTokenLifetime, when given, replaces the client's for tokens
	// for this resource.
	AccessTokenLifetime *time.Duration `yaml:"access_token_lifetime"`
	// AccessTokenSigningAlg, when given, replaces the client's: ES256 | RS256.
	AccessTokenSigningAlg string `yaml:"access_token_signing_alg"`

	// audience is []string{URI}, made once by Finish so that minting a
	// token for the resource does not allocate it.
	audience []string
}

// Audience is the aud of an access token for the resource: the resource
// itself and nothing else. Valid after Finish.
func (r *Resource) Audience() []string { return r.audience }

// AllowsScope reports whether an access token for the resource may carry s.
func (r *Resource) AllowsScope(s string) bool { return slices.Contains(r.Scopes, s) }

// AccessToken returns the lifetime and signing algorithm of an access
// token for the resource, given the client's effective settings t: the
// resource's own where it sets them.
func (r *Resource) AccessToken(t Tokens) (time.Duration, string) {
	life, alg := t.AccessTokenLifetime, t.AccessTokenSigningAlg
	if r.AccessTokenLifetime != nil {
		life = *r.AccessTokenLifetime
	}
	if r.AccessTokenSigningAlg != "" {
		alg = r.AccessTokenSigningAlg
	}
	return life, alg
}

// Resource returns the resource uri if the client may ask for it (its
// resources list names it). Valid after Finish.
func (cl *Client) Resource(uri string) (*Resource, bool) {
	for _, r := range cl.resources {
		if r.URI == uri {
			return r, true
		}
	}
	return nil, false
}

// ResourceURIProblem says what is wrong with a resource indicator, or ""
// if it is one: RFC 8707 §2, "an absolute URI, as specified by Section
// 4.3 of [RFC3986]", which "MUST NOT include a fragment component".
func ResourceURIProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is empty"
	case err != nil:
		return "is not a URI"
	case !u.IsAbs():
		return "is not an absolute URI (RFC 8707 §2)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "has a fragment, which a resource indicator must not (RFC 8707 §2)"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return "has no host"
	}
	return ""
}

// protocolScopes are OpenID Connect's own scopes: they ask for an ID token
// or a refresh token, and mean nothing to an API.
var protocolScopes = []string{ScopeOpenID, ScopeOfflineAccess}

// checkResources validates the resources block and each client's
// resources list, which may name only resources defined there.
func (c *Config) checkResources(ck *checker) {
	seen := make(map[string]int, len(c.Resources))
	for i := range c.Resources {
		r := &c.Resources[i]
		path := "resources[" + strconv.Itoa(i) + "]"
		if reason := ResourceURIProblem(r.URI); reason != "" {
			ck.add(path+".uri", "%q %s", r.URI, reason)
		} else if prev, dup := seen[r.URI]; dup {
			ck.add(path+".uri", "%q duplicates resources[%d]", r.URI, prev)
		} else {
			seen[r.URI] = i
		}
		checkScopes(ck, path, r.Scopes)
		for j, s := range r.Scopes {
			if slices.Contains(protocolScopes, s) {
				ck.add(path+".scopes["+strconv.Itoa(j)+"]", "%q is an OpenID Connect scope for the ID token or the refresh token; an access token for an API never carries it", s)
			}
		}
		if len(r.Scopes) == 0 {
			ck.add(path+".scopes", "must list at least one scope an access token for %q may carry", r.URI)
		}
		if d := r.AccessTokenLifetime; d != nil && *d <= 0 {
			ck.add(path+".access_token_lifetime", "must be greater than 0 (got %v); leave it out to use the client's", *d)
		}
		checkAlg(ck, path+".access_token_signing_alg", r.AccessTokenSigningAlg)
	}
	for i := range c.Clients {
		cl := &c.Clients[i]
		for j, uri := range cl.Resources {
			p := clientPath(i, cl.ID) + ".resources[" + strconv.Itoa(j) + "]"
			switch _, ok := seen[uri]; {
			case !ok:
				ck.add(p, "%q is not one of the resources defined under resources", uri)
			case slices.Index(cl.Resources, uri) < j:
				ck.add(p, "%q is listed twice", uri)
			}
		}
	}
}

// linkResources gives each resource its audience and each client its
// resources, after validation.
func (c *Config) linkResources() {
	byURI := make(map[string]*Resource, len(c.Resources))
	for i := range c.Resources {
		r := &c.Resources[i]
		r.audience = []string{r.URI}
		byURI[r.URI] = r
	}
	for i := range c.Clients {
		cl := &c.Clients[i]
		cl.resources = nil
		for _, uri := range cl.Resources {
			cl.resources = append(cl.resources, byURI[uri])
		}
	}
}
