package signin

import (
	"context"

	"github.com/tollgate-oidc/tollgate/internal/authcode"
	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Code completes a request: a code bound to the client, redirect URI, PKCE
// challenge, nonce and session (RFC 6749 §4.1.2), to the resources the user
// granted (RFC 8707 §2.1) and to a DPoP key when the request named one
// (RFC 9449 §10). Its life from here on is authcode's.
func (s *Service) Code(ctx context.Context, req authorize.Request, c *config.Client, sess *store.Session, u *config.User) (string, error) {
	code, err := authcode.Issue(ctx, s.Store, s.Now(), store.AuthCode{
		ClientID: c.ID, RedirectURI: req.RedirectURI,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod,
		Subject: u.Subject, Scopes: req.Scopes, Nonce: req.Nonce, SessionID: sess.SID, AMR: sess.AMR,
		AuthTime: sess.AuthTime, Resources: req.Resources, DPoPJKT: req.DPoPJKT,
	})
	if err != nil {
		return "", oautherr.Server(err)
	}
	return code, nil
}
