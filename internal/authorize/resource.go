package authorize

import (
	"slices"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// ParamResource is RFC 8707's parameter, the one authorization request
// parameter that may be repeated (§2: "multiple resource parameters MAY be
// used to indicate that the requested token is intended to be used at
// multiple resources").
const ParamResource = "resource"

// setResources reads the resource parameters (RFC 8707 §2.1): each an
// absolute URI without a fragment that the client may ask for, else
// invalid_target (§2), which goes back to the client's redirect URI as
// every error does once the redirect URI is trusted. A resource named
// twice counts once.
//
// With response types that return an access token from the authorization
// endpoint (code token, code id_token token) a resource is refused: that
// one token could not be restricted to several APIs, and the code's token
// requests can name one resource each.
func (r *Request) setResources(asked []string, c *config.Client) error {
	if len(asked) == 0 {
		return nil
	}
	if slices.Contains(strings.Fields(r.ResponseType), "token") {
		return oautherr.New(oautherr.InvalidRequest, "resource cannot be used with response_type %q, which returns an access token from the authorization endpoint; use code (or code id_token) and name the resource at the token endpoint", r.ResponseType)
	}
	out := make([]string, 0, len(asked))
	for _, uri := range asked {
		if reason := config.ResourceURIProblem(uri); reason != "" {
			return oautherr.New(oautherr.InvalidTarget, "resource %q %s", uri, reason)
		}
		if _, ok := c.Resource(uri); !ok {
			return oautherr.New(oautherr.InvalidTarget, "resource %q is not one client %q may ask for", uri, c.ID)
		}
		if !slices.Contains(out, uri) {
			out = append(out, uri)
		}
	}
	r.Resources = out
	return nil
}
