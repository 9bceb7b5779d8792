package grant

import (
	"context"
	"log/slog"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Grant type names (RFC 6749).
const (
	TypeAuthorizationCode = "authorization_code"
	TypePassword          = "password"
	TypeClientCredentials = "client_credentials"
	TypeRefreshToken      = "refresh_token"
)

// Request is one token request after client authentication.
type Request struct {
	GrantType string
	Client    *config.Client
	// Scope is the requested scope; ScopeGiven tells an absent parameter from an empty one.
	Scope      []string
	ScopeGiven bool

	Username, Password string // password grant
	RemoteIP           string // the client's address, for throttling failed passwords
	RefreshToken       string // refresh_token grant
	Code               string // authorization_code grant
	RedirectURI        string
	CodeVerifier       string

	// High assurance: what the request proved, and what it asked for.
	// DPoPJKT is the JWK SHA-256 thumbprint (RFC 7638) of the key of the
	// request's verified DPoP proof (RFC 9449 §4.3); "" without a proof.
	DPoPJKT string
	// ClientKey is the thumbprint of the key whose private_key_jwt
	// assertion authenticated the client; "" for other methods.
	ClientKey string
	// Resources are the request's resource parameters (RFC 8707 §2).
	Resources []string
}

// proof is what the request proved, for the refresh-token lifecycle.
func (r Request) proof() refresh.Proof {
	return refresh.Proof{DPoPJKT: r.DPoPJKT, ClientKey: r.ClientKey}
}

// Response is a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
type Response struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// RTExpiresIn is seconds until the refresh token expires if unused, as HelseID returns it.
	RTExpiresIn int64  `json:"rt_expires_in,omitempty"`
	IDToken     string `json:"id_token,omitempty"`
}

// Codes is the part of the store the code exchange needs: read a code to
// check it, then consume it.
type Codes interface {
	AuthCode(ctx context.Context, hash string) (store.AuthCode, error)
	ConsumeAuthCode(ctx context.Context, hash string, at time.Time, grantID string) (store.AuthCode, error)
}

// Handler runs every grant.
type Handler struct {
	Users Users
	// Passwords are the password checks, shared with the login page (NewPasswords).
	Passwords *Passwords
	Refresh   *refresh.Service
	Minter    *mint.Minter
	Codes     Codes
	Now       func() time.Time
	Audience  []string // aud of access tokens (RFC 9068 §3)
	Log       *slog.Logger
	// Observe hears what the token endpoint decided (observe.go); nil: nobody.
	Observe Observer
}

// Users finds local users: those of the configuration file and those of
// the store (directory.Users). Each returns nil and no error when there is
// no such user, and the store's error (store.ErrUnavailable: 503 at the
// token endpoint) when it could not tell.
type Users interface {
	User(ctx context.Context, username string) (*config.User, error)
	UserBySubject(ctx context.Context, sub string) (*config.User, error)
}

// Exchange is the one pipeline every grant goes through.
func (h *Handler) Exchange(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	switch req.GrantType {
	case TypeAuthorizationCode, TypePassword, TypeClientCredentials, TypeRefreshToken:
	case "":
		return nil, oautherr.New(oautherr.InvalidRequest, "the grant_type parameter is missing")
	default:
		return nil, oautherr.New(oautherr.UnsupportedGrantType, "grant_type %q is not supported; use one of authorization_code, refresh_token, password, client_credentials", req.GrantType)
	}
	// RFC 6749 §5.2 unauthorized_client: the client is not registered for this grant.
	if !c.HasGrant(req.GrantType) {
		return nil, oautherr.New(oautherr.UnauthorizedClient, "client %q is not allowed the %s grant", c.ID, req.GrantType)
	}
	var (
		resp *Response
		err  error
	)
	switch req.GrantType {
	case TypePassword:
		resp, err = h.password(ctx, req)
	case TypeClientCredentials:
		resp, err = h.clientCredentials(ctx, req)
	case TypeRefreshToken:
		resp, err = h.refreshToken(ctx, req)
	default:
		resp, err = h.authorizationCode(ctx, req)
	}
	if err == nil && h.Observe != nil {
		h.Observe.TokenIssued(req.GrantType, c.ID)
	}
	return resp, err
}
