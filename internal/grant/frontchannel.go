package grant

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// SignIn is a completed browser sign-in the authorize endpoint issues for.
type SignIn struct {
	Client    *config.Client
	User      *config.User
	Scopes    []string
	AuthTime  time.Time
	SessionID string // sid
	AMR       []string
	Nonce     string
}

// FrontTokens are what the authorize endpoint returns directly in a hybrid
// response (OIDC Core §3.3.2.5). Never a refresh token: that only comes
// from redeeming the code at the token endpoint, with client authentication.
type FrontTokens struct {
	AccessToken string
	ExpiresIn   int64
	Scope       string
	IDToken     string
}

// FrontChannel mints an access token when wantAccess, and an ID token with
// c_hash (and at_hash when an access token is issued alongside) when wantID.
func (h *Handler) FrontChannel(ctx context.Context, in SignIn, code string, wantAccess, wantID bool) (FrontTokens, error) {
	c := in.Client
	now := h.Now()
	tl := c.Tokens
	// The front channel never carries offline access.
	scopes := slices.DeleteFunc(slices.Clone(in.Scopes), func(s string) bool { return s == ScopeOfflineAccess })
	claims := UserClaims(in.User, scopes)
	var out FrontTokens
	var err error
	if wantAccess {
		out.AccessToken, err = h.Minter.AccessToken(mint.AccessClaims{
			Subject: in.User.Subject, Audience: h.Audience, ClientID: c.ID, Scopes: scopes,
			IssuedAt: now, ExpiresAt: now.Add(tl.AccessTokenLifetime), AuthTime: in.AuthTime,
			SessionID: in.SessionID, Extra: claims,
		}, tl.AccessTokenSigningAlg)
		if err != nil {
			return out, oautherr.Server(err)
		}
		out.ExpiresIn = seconds(tl.AccessTokenLifetime)
		out.Scope = strings.Join(scopes, " ")
	}
	if wantID {
		out.IDToken, err = h.Minter.IDToken(mint.IDClaims{
			Subject: in.User.Subject, Audience: c.ID, AuthorizedParty: c.ID, Nonce: in.Nonce,
			SessionID: in.SessionID, AMR: in.AMR, IssuedAt: now, ExpiresAt: now.Add(tl.IDTokenLifetime),
			AuthTime: in.AuthTime, AccessToken: out.AccessToken, Code: code, Extra: claims,
		}, tl.IDTokenSigningAlg)
		if err != nil {
			return out, oautherr.Server(err)
		}
	}
	return out, nil
}

// MayHaveRefreshToken is HelseID's rule for a sign-in through the browser:
// the consent page asks about offline access only when it can lead to a
// refresh token.
func MayHaveRefreshToken(c *config.Client) bool {
	return mayHaveRefreshToken(c, TypeAuthorizationCode, []string{ScopeOfflineAccess})
}
