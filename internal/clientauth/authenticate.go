package clientauth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// Clients finds registered clients; *config.Config satisfies it.
type Clients interface {
	Client(id string) (*config.Client, bool)
}

// JTIStore remembers client-assertion ids so each is accepted once (RFC 7523
// §3 item 7). It returns an error wrapping store.ErrConflict on replay; an id
// stored with an expiresAt before now (the Authenticator's clock) may be
// used again. store.Store satisfies it.
type JTIStore interface {
	UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error
}

var _ Clients = (*config.Config)(nil)

// Authenticator checks credentials against the registered clients.
type Authenticator struct {
	Clients Clients
	JTI     JTIStore // needed for private_key_jwt only
	// Issuer is the issuer identifier, the audience a client assertion may
	// name at every endpoint; Credentials.Endpoint adds the URL of the
	// endpoint it was sent to (RFC 7523 §3 item 3).
	Issuer string
	Now    func() time.Time // nil means time.Now
	// MaxLifetime bounds an assertion's exp, ahead of now and of its iat
	// (config client_assertion.max_lifetime); 0 means MaxAssertionLifetime.
	MaxLifetime time.Duration
	// JWKSURI fetches the keys of clients registered with a jwks_uri; nil
	// means a fetcher with the defaults, made on first use.
	JWKSURI  *JWKSFetcher
	jwksOnce sync.Once
}

func (a *Authenticator) maxLifetime() time.Duration {
	if a.MaxLifetime > 0 {
		return a.MaxLifetime
	}
	return MaxAssertionLifetime
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Authenticate returns the client the credentials prove, or an
// *oautherr.Error: invalid_client (401) for anything that fails to prove a
// client, server_error only if the JTI store fails.
func (a *Authenticator) Authenticate(ctx context.Context, c Credentials) (*config.Client, error) {
	cl, _, err := a.AuthenticateKey(ctx, c)
	return cl, err
}

// AuthenticateKey is Authenticate that also returns, for private_key_jwt,
// the RFC 7638 thumbprint (base64url SHA-256) of the client key that
// verified the assertion; "" for the other methods. The token endpoint
// records it (grant.Request.ClientKey), so a refresh by another of the
// client's keys can be told apart.
func (a *Authenticator) AuthenticateKey(ctx context.Context, c Credentials) (*config.Client, string, error) {
	switch c.Method {
	case "":
		return nil, "", oautherr.New(oautherr.InvalidClient, "client authentication required: send the client id and secret with HTTP Basic (RFC 6749 §2.3.1), a client_assertion (RFC 7523), or client_id alone for a public client")
	case config.AuthPrivateKeyJWT:
		return a.assertion(ctx, c)
	}
	cl, err := a.secretOrNone(c)
	return cl, "", err
}

func (a *Authenticator) secretOrNone(c Credentials) (*config.Client, error) {

	cl, ok := a.Clients.Client(c.ClientID)
	if !ok {
		if c.Method == config.AuthNone {
			return nil, oautherr.New(oautherr.InvalidClient, "unknown client %q", c.ClientID)
		}
		return nil, errBadSecret(c.ClientID, errUnknownClient)
	}
	if cl.AuthMethod != c.Method {
		return nil, errWrongMethod(cl, c.Method)
	}
	switch c.Method {
	case config.AuthSecretBasic, config.AuthSecretPost:
		// Same answer as an unknown id: the description must not help
		// anyone tell a wrong secret from a wrong id, let alone a near miss.
		if !secret.VerifyClientSecret(cl.SecretHash, c.Secret) {
			return nil, errBadSecret(c.ClientID, errWrongSecret)
		}
	case config.AuthNone:
		// A public client proves nothing but its id (RFC 6749 §2.1); what it
		// may do is limited elsewhere (PKCE, no refresh tokens).
	default:
		return nil, oautherr.New(oautherr.InvalidClient, "unsupported client authentication method %q", c.Method)
	}
	return cl, nil
}

// The internal reasons behind errBadSecret's one answer: logged, never
// shown to the client.
var (
	errUnknownClient = errors.New("no client has this id")
	errWrongSecret   = errors.New("the secret does not match the client's")
)

func errBadSecret(id string, reason error) error {
	e := oautherr.New(oautherr.InvalidClient, "client authentication failed for client %q: unknown client or wrong secret", id)
	e.Cause = reason
	return e
}

// errWrongMethod: a client must use the one method it is registered for
// (RFC 7591 §2 token_endpoint_auth_method), so a leaked secret is no use
// against a private_key_jwt client.
func errWrongMethod(cl *config.Client, used string) error {
	if used == config.AuthNone {
		return oautherr.New(oautherr.InvalidClient, "client %q is registered for %s but sent only client_id, no credentials", cl.ID, cl.AuthMethod)
	}
	return oautherr.New(oautherr.InvalidClient, "client %q is registered for %s but authenticated with %s", cl.ID, cl.AuthMethod, used)
}
