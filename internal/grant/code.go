package grant

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// authorizationCode redeems an authorization code (RFC 6749 §4.1.3); the
// hybrid flow redeems its code the same way (OIDC Core §3.3.3).
func (h *Handler) authorizationCode(ctx context.Context, req Request) (*Response, error) {
	c := req.Client
	if req.Code == "" {
		return nil, oautherr.New(oautherr.InvalidRequest, "the code parameter is missing")
	}
	invalid := oautherr.New(oautherr.InvalidGrant, "the authorization code is invalid, expired or already used")
	if !mint.WellFormed(mint.CodePrefix, req.Code) {
		return nil, invalid
	}
	hash := mint.HashToken(req.Code)
	now := h.Now()
	// The grant id is recorded in the same write that consumes the code, so
	// a replay landing at any moment after this finds the family to revoke
	// (RFC 6749 §4.1.2). If a check below fails, nothing is issued under it
	// and a replay's revocation finds nothing.
	grantID := refresh.NewGrantID()
	code, err := h.Codes.ConsumeAuthCode(ctx, hash, now, grantID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, invalid
	case errors.Is(err, store.ErrConflict):
		// RFC 6749 §4.1.2: a code used twice is denied, and what was issued
		// from it is revoked: someone else holds a copy.
		if code.GrantID != "" {
			if _, err := h.Refresh.RevokeGrant(ctx, code.GrantID, "code_reuse"); err != nil {
				return nil, oautherr.Server(err)
			}
		}
		h.Log.LogAttrs(ctx, slog.LevelWarn, "authorization code reuse detected",
			slog.String("event", "code_reuse"), slog.String("client_id", code.ClientID), slog.String("grant_id", code.GrantID))
		return nil, oautherr.New(oautherr.InvalidGrant, "the authorization code was already used; every token issued from it is revoked")
	case err != nil:
		return nil, oautherr.Server(err)
	}
	if code.ClientID != c.ID {
		return nil, oautherr.New(oautherr.InvalidGrant, "the authorization code was issued to another client")
	}
	if !now.Before(code.ExpiresAt) {
		return nil, oautherr.New(oautherr.InvalidGrant, "the authorization code has expired")
	}
	// RFC 6749 §4.1.3: redirect_uri must be identical to the one the code was issued for.
	if code.RedirectURI != "" && req.RedirectURI != code.RedirectURI {
		return nil, oautherr.New(oautherr.InvalidGrant, "redirect_uri does not match the one of the authorization request")
	}
	if err := verifyPKCE(code, req.CodeVerifier); err != nil {
		return nil, err
	}
	u, ok := h.Users.UserBySubject(code.Subject)
	if !ok || u.Disabled {
		return nil, oautherr.New(oautherr.InvalidGrant, "the user of this authorization code no longer exists or is disabled")
	}
	// The scope was granted at the authorize endpoint; drop what the client has
	// lost since, and offline_access unless the client may still have it.
	scopes := slices.DeleteFunc(slices.Clone(code.Scopes), func(s string) bool {
		return !c.AllowsScope(s) || (s == ScopeOfflineAccess && !mayHaveRefreshToken(c, TypeAuthorizationCode, code.Scopes))
	})
	return h.respond(ctx, issue{
		client: c, grantType: TypeAuthorizationCode, subject: code.Subject, user: u, scopes: scopes,
		authTime: code.AuthTime, sessionID: code.SessionID, amr: code.AMR, nonce: code.Nonce, grantID: grantID,
	})
}

// verifyPKCE checks the code_verifier against the code's challenge (RFC 7636
// §4.6; S256 only). A verifier sent for a code issued without a challenge is
// refused too: it means the two requests do not belong together (RFC 9700 §2.1.1).
func verifyPKCE(code store.AuthCode, verifier string) error {
	if code.CodeChallenge == "" {
		if verifier != "" {
			return oautherr.New(oautherr.InvalidGrant, "code_verifier was sent, but the authorization request had no code_challenge")
		}
		return nil
	}
	if verifier == "" {
		return oautherr.New(oautherr.InvalidGrant, "the code_verifier parameter is missing; the authorization request used PKCE")
	}
	if !validVerifier(verifier) {
		return oautherr.New(oautherr.InvalidGrant, "code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~] (RFC 7636 §4.1)")
	}
	if code.CodeChallengeMethod != "S256" {
		return oautherr.New(oautherr.InvalidGrant, "the code challenge method is not supported")
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(code.CodeChallenge)) != 1 {
		return oautherr.New(oautherr.InvalidGrant, "code_verifier does not match the code_challenge")
	}
	return nil
}

func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if !('A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~') {
			return false
		}
	}
	return true
}
