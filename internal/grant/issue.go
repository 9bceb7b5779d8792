package grant

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// issue is what one successful grant hands out tokens for.
type issue struct {
	client    *config.Client
	grantType string
	subject   string
	user      *config.User // nil for client_credentials
	scopes    []string
	authTime  time.Time
	sessionID string
	amr       []string
	nonce     string
	grantID   string // preset grant id for a new family (code exchange)
	proof     refresh.Proof
	// RFC 8707 (resource.go): what the access token is for, and the
	// resources a new grant records.
	target    target
	resources []string
}

// mayHaveRefreshToken is HelseID's rule 1: a refresh token only for a
// confidential client configured for it, that asked for offline_access and
// was granted it, in the authorization code (and hybrid, which redeems a
// code) or password flow. Never for client credentials.
func mayHaveRefreshToken(c *config.Client, grantType string, scopes []string) bool {
	return c.Type == config.ClientConfidential && c.AllowOfflineAccess &&
		slices.Contains(scopes, ScopeOfflineAccess) &&
		(grantType == TypeAuthorizationCode || grantType == TypePassword)
}

// respond mints the tokens of one successful grant. refreshed is set by
// the refresh grant: the token the client keeps. (It is a parameter of
// its own, not a field of in, so that the refresh grant's Issued can stay
// on its stack: in's slices escape into the tokens.)
func (h *Handler) respond(ctx context.Context, in issue, refreshed *refresh.Issued) (*Response, error) {
	c := in.client
	now := h.Now()
	tl := c.Tokens
	aud, atScopes, atLife, atAlg := h.accessToken(&in, tl)
	// The response's scope is what the access token carries (RFC 6749 §5.1).
	resp := &Response{TokenType: "Bearer", Scope: strings.Join(atScopes, " ")}
	if in.proof.DPoPJKT != "" {
		resp.TokenType = "DPoP" // RFC 9449 §5: the access token is DPoP-bound
	}

	rt := refreshed
	if rt == nil && mayHaveRefreshToken(c, in.grantType, in.scopes) {
		iss, err := h.Refresh.Issue(ctx, store.Grant{
			ID: in.grantID, ClientID: c.ID, Subject: in.subject, Scopes: in.scopes,
			AuthTime: in.authTime, SessionID: in.sessionID, AMR: in.amr, Resources: in.resources,
			DPoPJKT: boundKey(c, in.proof),
		}, in.proof, refresh.PolicyFor(c))
		if errors.Is(err, refresh.ErrRevoked) {
			// Only a preset grant id (the code exchange) meets this: the
			// code was presented again while this redemption was issuing,
			// and that replay revoked the grant before it existed.
			return nil, oautherr.New(oautherr.InvalidGrant, "the authorization code was used twice; nothing is issued from it and the user must sign in again")
		}
		if err != nil {
			return nil, oautherr.Server(err)
		}
		rt = &iss
	}
	if rt != nil {
		resp.RefreshToken = rt.Token
		resp.RTExpiresIn = seconds(rt.ExpiresAt.Sub(now))
	}

	// The user's current claims, read at every issue (a refresh included),
	// travel in both tokens.
	var claims, atClaims map[string]any
	if in.user != nil {
		claims = UserClaims(in.user, in.scopes)
		atClaims = claims
		if in.target.resource != nil { // an API gets the claims of its own scopes
			atClaims = UserClaims(in.user, atScopes)
		}
	}
	var err error
	resp.AccessToken, err = h.Minter.AccessToken(mint.AccessClaims{
		Subject: in.subject, Audience: aud, ClientID: c.ID, Scopes: atScopes,
		IssuedAt: now, ExpiresAt: now.Add(atLife), AuthTime: in.authTime, SessionID: in.sessionID,
		JKT: in.proof.DPoPJKT, Extra: atClaims,
	}, atAlg)
	if err != nil {
		return nil, oautherr.Server(err)
	}
	resp.ExpiresIn = seconds(atLife)

	// OIDC Core §3.1.3.3: an ID token when openid was granted and a user signed in.
	if in.user != nil && slices.Contains(in.scopes, ScopeOpenID) {
		resp.IDToken, err = h.Minter.IDToken(mint.IDClaims{
			Subject: in.subject, Audience: c.ID, AuthorizedParty: c.ID,
			Nonce: in.nonce, SessionID: in.sessionID, AMR: in.amr,
			IssuedAt: now, ExpiresAt: now.Add(tl.IDTokenLifetime), AuthTime: in.authTime,
			AccessToken: resp.AccessToken,
			Extra:       claims,
		}, tl.IDTokenSigningAlg)
		if err != nil {
			return nil, oautherr.Server(err)
		}
	}
	return resp, nil
}

// boundKey is the DPoP key a new grant's refresh tokens are bound to: the
// proof's, unless the client turned the binding off
// (dpop_bound_refresh_tokens). RFC 9449 §5 requires it only of public
// clients; Tollgate binds confidential ones too, so that a stolen refresh
// token is useless without the key even to a thief holding the client's
// credentials.
func boundKey(c *config.Client, p refresh.Proof) string {
	if !c.BindsRefreshTokens() {
		return ""
	}
	return p.DPoPJKT
}

// seconds rounds a duration to whole seconds for expires_in fields.
func seconds(d time.Duration) int64 {
	return int64((d + time.Second/2) / time.Second)
}
