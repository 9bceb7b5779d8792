package admin

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
)

// ClientScope authorizes a request that bears an access token with the
// tollgate:admin scope, issued by this server to a client through the
// client credentials grant (RFC 6749 §4.4). The token is checked as a
// resource server checks an RFC 9068 access token (§4): signature by a
// published key, typ at+jwt, iss, exp; then:
//   - its scope holds tollgate:admin (RFC 9068 §2.2.3);
//   - it was issued to the server's own API (aud is Audience), not to a
//     resource server, so a token an API received cannot be replayed here;
//   - it is the client's own token: sub is client_id, so no user's token
//     qualifies, whatever its scope;
//   - the client still exists, still has client_credentials and still
//     lists tollgate:admin, so removing the scope or the client takes the
//     power away from tokens already issued, at once;
//   - it is not sender-constrained (cnf, RFC 9449 §6): the admin listener
//     does not check DPoP proofs, and a bound token used without its proof
//     must not work anywhere (RFC 9449 §7.1).
//
// Every failure is the same 401 as a wrong admin token: the caller learns
// nothing about which check failed; the log line says.
type ClientScope struct {
	// Verify checks the token's signature and registered claims
	// (mint.Minter.VerifyAccessToken).
	Verify func(tok string, now time.Time) (mint.AccessClaims, error)
	// Clients finds the client the token was issued to.
	Clients interface {
		Client(id string) (*config.Client, bool)
	}
	// Audience is the aud the server gives its own access tokens
	// (oauth.AccessTokenAudience).
	Audience []string
	Now      func() time.Time
}

// Authorize implements Authorizer.
func (c *ClientScope) Authorize(r *http.Request) (Caller, bool) {
	h := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return Caller{}, false
	}
	claims, err := c.Verify(h[len(scheme):], c.Now())
	if err != nil {
		return Caller{}, false
	}
	if !slices.Contains(claims.Scopes, config.ScopeAdmin) || claims.JKT != "" ||
		claims.ClientID == "" || claims.Subject != claims.ClientID ||
		!slices.ContainsFunc(claims.Audience, func(a string) bool { return slices.Contains(c.Audience, a) }) {
		return Caller{}, false
	}
	cl, ok := c.Clients.Client(claims.ClientID)
	if !ok || !cl.HasGrant(config.GrantClientCredentials) || !cl.AllowsScope(config.ScopeAdmin) {
		return Caller{}, false
	}
	return Caller{Kind: CallerClient, ID: claims.ClientID}, true
}
