package grant

import (
	"context"
	"log/slog"
	"sync"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// badCredentials is one neutral answer for an unknown user, a disabled user
// and a wrong password: it never says which (RFC 6749 §4.3.2 invalid_grant).
func badCredentials() error {
	return oautherr.New(oautherr.InvalidGrant, "the username or password is incorrect")
}

// dummyHash is verified against when the user is unknown, so the answer
// takes as long as for a known user and timing does not reveal who exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := secret.HashPassword("tollgate-timing-equaliser")
	return h
})

// CheckPassword verifies a user's password, for the password grant and the
// login page alike. It spends the same time whether or not the user exists.
// A refusal returns a nil user and a reason for the log ("unknown user",
// "wrong password", "user disabled"), never for the client; err is an
// internal failure.
func CheckPassword(users Users, username, password string) (*config.User, string, error) {
	u, known := users.User(username)
	hash := dummyHash()
	if known {
		hash = u.PasswordHash
	}
	ok, err := secret.VerifyPassword(hash, password)
	switch {
	case err != nil:
		return nil, "", err
	case !known:
		return nil, "unknown user", nil
	case !ok || password == "":
		return nil, "wrong password", nil
	case u.Disabled:
		return nil, "user disabled", nil
	}
	return u, "", nil
}

// password is the resource owner password credentials grant (RFC 6749 §4.3).
func (h *Handler) password(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	if c.Type != config.ClientConfidential {
		return nil, oautherr.New(oautherr.UnauthorizedClient, "the password grant is only for confidential clients")
	}
	if req.Username == "" || req.Password == "" {
		return nil, oautherr.New(oautherr.InvalidRequest, "the password grant needs both the username and the password parameters")
	}
	scopes, err := requestedScope(c, req)
	if err != nil {
		return nil, err
	}
	u, reason, err := CheckPassword(h.Users, req.Username, req.Password)
	if err != nil {
		return nil, oautherr.Server(err)
	}
	if u == nil {
		// Log attributes carry ids and reasons, never a token, secret or password.
		h.Log.LogAttrs(ctx, slog.LevelInfo, "password grant refused", slog.String("client_id", c.ID), slog.String("reason", reason))
		return nil, badCredentials()
	}
	return h.respond(ctx, issue{
		client: c, grantType: TypePassword, subject: u.Subject, user: u, scopes: scopes,
		// auth_time is when the password was checked: now.
		authTime: h.Now(), amr: []string{"pwd"},
	})
}
