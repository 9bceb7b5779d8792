package grant

import (
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// Scopes with a meaning of their own.
const (
	ScopeOpenID        = "openid"
	ScopeOfflineAccess = "offline_access"
)

// requestedScope returns the scope a request is granted before grant-specific
// rules: the requested scopes, each registered for the client, or, when the
// parameter is absent, the client's registered scopes without offline_access
// (RFC 6749 §3.3 lets the server apply a default; a refresh token must be
// asked for explicitly, as HelseID's page says) and without tollgate:admin.
//
// offline_access follows HelseID's rules: a confidential client not
// configured for refresh tokens that asks for it gets invalid_scope; a public
// client never gets a refresh token, so for it the scope is dropped.
// RequestedScope is exported for the authorize endpoint, which applies the
// same rules to the scope of an authorization request.
func RequestedScope(c *config.Client, scope []string, given bool) ([]string, error) {
	return requestedScope(c, Request{Scope: scope, ScopeGiven: given})
}

func requestedScope(c *config.Client, req Request) ([]string, error) {
	if !req.ScopeGiven {
		// Nor tollgate:admin: the admin API's power is held only by a
		// token that asked for it by name.
		return slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool { return s == ScopeOfflineAccess || s == config.ScopeAdmin }), nil
	}
	out := make([]string, 0, len(req.Scope))
	for _, s := range req.Scope {
		if slices.Contains(out, s) {
			continue
		}
		if s == ScopeOfflineAccess {
			if c.Type == config.ClientPublic {
				continue
			}
			if !c.AllowOfflineAccess {
				return nil, oautherr.New(oautherr.InvalidScope, "client %q is not configured for refresh tokens (allow_offline_access), so it cannot ask for offline_access", c.ID)
			}
		}
		if !c.AllowsScope(s) {
			return nil, oautherr.New(oautherr.InvalidScope, "scope %q is not registered for client %q", s, c.ID)
		}
		out = append(out, s)
	}
	return out, nil
}

// narrowScope applies RFC 6749 §6 to a refresh: the requested scope must not
// include any scope not originally granted; absent, the original scope
// applies. A scope the client has since lost is dropped too.
func narrowScope(c *config.Client, granted []string, req Request) ([]string, error) {
	if !req.ScopeGiven {
		if !slices.ContainsFunc(granted, func(s string) bool { return !c.AllowsScope(s) }) {
			// The usual case, every scope still registered: no copy.
			// Capped, so an append by a caller copies instead of
			// writing into granted's array.
			return granted[:len(granted):len(granted)], nil
		}
		return slices.DeleteFunc(slices.Clone(granted), func(s string) bool { return !c.AllowsScope(s) }), nil
	}
	out := make([]string, 0, len(req.Scope))
	for _, s := range req.Scope {
		if slices.Contains(out, s) {
			continue
		}
		if !slices.Contains(granted, s) {
			return nil, oautherr.New(oautherr.InvalidScope, "scope %q was not part of the original grant; a refresh can only narrow the scope", s)
		}
		if !c.AllowsScope(s) {
			return nil, oautherr.New(oautherr.InvalidScope, "scope %q is no longer registered for client %q", s, c.ID)
		}
		out = append(out, s)
	}
	return out, nil
}

// scopeClaims maps the standard scopes to the claims they release (OIDC Core §5.4).
var scopeClaims = map[string][]string{
	"profile": {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	"email":   {"email", "email_verified"},
	"address": {"address"},
	"phone":   {"phone_number", "phone_number_verified"},
}

// standardClaim tells which claims belong to a standard scope.
var standardClaim = func() map[string]bool {
	m := map[string]bool{}
	for _, names := range scopeClaims {
		for _, n := range names {
			m[n] = true
		}
	}
	return m
}()

// UserClaims returns the user's current claims released by scopes: the
// standard claims of each granted standard scope (OIDC Core §5.4), and every
// claim that no standard scope governs (an operator's own claims, such as a
// HelseID-style professional number, travel with every token).
func UserClaims(u *config.User, scopes []string) map[string]any {
	out := make(map[string]any, len(u.Claims))
	for name, v := range u.Claims {
		if !standardClaim[name] {
			out[name] = v
		}
	}
	for _, s := range scopes {
		for _, name := range scopeClaims[s] {
			if v, ok := u.Claims[name]; ok {
				out[name] = v
			}
		}
	}
	return out
}
