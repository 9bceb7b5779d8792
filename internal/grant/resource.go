package grant

import (
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// Resource indicators (RFC 8707) at the token endpoint.
//
// One resource per token request: the access token it returns is for one
// API, with that API as its only aud and only the scopes that API accepts
// (RFC 8707 §2: "audience restricted"), so a token one API receives cannot
// be replayed at another. Several resources are asked for at the
// authorization endpoint, where the user grants them; the code exchange
// and each refresh then name one of them at a time, so one refresh token
// fetches tokens for every API granted (RFC 8707 §2.2), and never for one
// outside the grant.
//
// A token request without a resource gets today's token: the server's
// default audience and every scope granted.

// pickResource reads the request's resource parameters: none, or one
// resource the client may ask for.
func pickResource(c *config.Client, asked []string) (*config.Resource, error) {
	switch len(asked) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, oautherr.New(oautherr.InvalidTarget, "one resource per token request: an access token is for one API; name the others in further requests (a refresh token serves every resource granted)")
	}
	uri := asked[0]
	if reason := config.ResourceURIProblem(uri); reason != "" {
		return nil, oautherr.New(oautherr.InvalidTarget, "resource %q %s", uri, reason)
	}
	r, ok := c.Resource(uri)
	if !ok {
		return nil, oautherr.New(oautherr.InvalidTarget, "resource %q is not one client %q may ask for", uri, c.ID)
	}
	return r, nil
}

// withinGrant: a code exchange or a refresh may only name a resource the
// user granted (RFC 8707 §2.2); what was granted never widens.
func withinGrant(r *config.Resource, granted []string, what string) error {
	if r == nil || slices.Contains(granted, r.URI) {
		return nil
	}
	if len(granted) == 0 {
		return oautherr.New(oautherr.InvalidTarget, "resource %q was not granted: the %s carries no resource; ask for it with the resource parameter at the authorization endpoint", r.URI, what)
	}
	return oautherr.New(oautherr.InvalidTarget, "resource %q was not granted: the %s carries only %s", r.URI, what, strings.Join(granted, ", "))
}

// grantedResources are a grant's resources still allowed to its client:
// one the client has lost since is dropped, as a lost scope is.
func grantedResources(c *config.Client, granted []string) []string {
	if !slices.ContainsFunc(granted, func(u string) bool { _, ok := c.Resource(u); return !ok }) {
		return granted
	}
	return slices.DeleteFunc(slices.Clone(granted), func(u string) bool { _, ok := c.Resource(u); return !ok })
}

// oidcScopes are OpenID Connect's own scopes: they ask for an ID token, a
// refresh token or userinfo claims (OIDC Core §5.4, §11), never for access
// to an API, so an access token for a resource leaves them out, asked for
// or not.
var oidcScopes = []string{ScopeOpenID, ScopeOfflineAccess, "profile", "email", "address", "phone"}

// resourceScopes returns the scopes an access token for r carries: those of
// scopes that r accepts. explicit says the client sent scopes itself; then
// an API scope r does not accept is a mistake to report, not to drop.
// Without a resource, scopes are returned as they are.
func resourceScopes(r *config.Resource, scopes []string, explicit bool) ([]string, error) {
	if r == nil {
		return scopes, nil
	}
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		switch {
		case r.AllowsScope(s):
			out = append(out, s)
		case explicit && !slices.Contains(oidcScopes, s):
			return nil, oautherr.New(oautherr.InvalidScope, "scope %q is not one resource %q accepts (it accepts %s)", s, r.URI, strings.Join(r.Scopes, ", "))
		}
	}
	if len(out) == 0 {
		return nil, oautherr.New(oautherr.InvalidScope, "none of the scopes granted is one resource %q accepts (it accepts %s)", r.URI, strings.Join(r.Scopes, ", "))
	}
	return out, nil
}

// target is what the access token of a response is for.
type target struct {
	resource *config.Resource // nil: the server's default audience
	scopes   []string         // the access token's scope, when resource is set
}

// forResource is pickResource then resourceScopes, for the grants that
// grant as they issue (password, client credentials).
func forResource(c *config.Client, req Request, scopes []string) (target, error) {
	r, err := pickResource(c, req.Resources)
	if err != nil || r == nil {
		return target{}, err
	}
	s, err := resourceScopes(r, scopes, req.ScopeGiven)
	return target{resource: r, scopes: s}, err
}

// accessToken returns the aud, scope, lifetime and algorithm of the access
// token for in: for a resource, the resource's (RFC 8707 §2, RFC 9068 §3);
// else the server's default audience and the client's settings.
func (h *Handler) accessToken(in *issue, tl config.Tokens) (aud, scopes []string, life time.Duration, alg string) {
	if r := in.target.resource; r != nil {
		d, a := r.AccessToken(tl)
		return r.Audience(), in.target.scopes, d, a
	}
	return h.Audience, in.scopes, tl.AccessTokenLifetime, tl.AccessTokenSigningAlg
}

// codeTarget is the code exchange's: a resource the code carries. The
// scope is the code's, so nothing the client sends is "explicit".
func codeTarget(c *config.Client, req Request, granted, scopes []string) (target, error) {
	r, err := pickResource(c, req.Resources)
	if err != nil || r == nil {
		return target{}, err
	}
	if err := withinGrant(r, granted, "authorization code"); err != nil {
		return target{}, err
	}
	s, err := resourceScopes(r, scopes, false)
	return target{resource: r, scopes: s}, err
}

// resourceURIs is what a password grant records: the one resource asked.
func resourceURIs(t target) []string {
	if t.resource == nil {
		return nil
	}
	return []string{t.resource.URI}
}
