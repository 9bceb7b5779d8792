package oauth

import (
	"net/http"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// introspection is an RFC 7662 §2.2 response. Fields are omitted when the
// token is not active.
type introspection struct {
	Active    bool     `json:"active"`
	ClientID  string   `json:"client_id,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Scope     string   `json:"scope,omitempty"`
	Expires   int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	JTI       string   `json:"jti,omitempty"`
	// Cnf is the key a DPoP-bound token is bound to (RFC 9449 §6.2).
	Cnf *cnf `json:"cnf,omitempty"`
}

type cnf struct {
	JKT string `json:"jkt"`
}

// confirmation is the cnf member for a token bound to jkt, nil for none.
func confirmation(jkt string) *cnf {
	if jkt == "" {
		return nil
	}
	return &cnf{JKT: jkt}
}

// introspect is the introspection endpoint (RFC 7662), for authenticated
// clients only (§2.1). A live access token is active for any authenticated
// client (resource servers introspect tokens issued to others); a refresh
// token only for the client it was issued to (§4: limit what is disclosed).
// Anything else is {"active": false}.
//
// "Active" means usable now (§2.2), so a token is active only if the grant
// rules still accept it: grant.AccessStanding and grant.RefreshStanding,
// the very checks userinfo and the refresh grant make. A disabled or
// removed user, a removed client, or a client that lost refresh tokens
// (allow_offline_access, the refresh_token grant) makes it inactive at once.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) error {
	form, client, err := s.clientRequest(w, r, PathIntrospect)
	if err != nil {
		return err
	}
	// RFC 7662 §2.1: the caller must be authenticated; a public client proves nothing.
	if client.AuthMethod == config.AuthNone {
		return oautherr.New(oautherr.InvalidClient, "introspection needs client authentication; public client %q cannot introspect tokens", client.ID)
	}
	tok := form.Get("token")
	if tok == "" {
		return oautherr.New(oautherr.InvalidRequest, "the token parameter is missing")
	}
	noStore(w)
	out := introspection{}
	if strings.HasPrefix(tok, mint.RefreshPrefix) {
		a, err := s.Refresh.Inspect(r.Context(), tok)
		if err != nil && !refresh.IsRejection(err) {
			return oautherr.Server(err)
		}
		live := err == nil && a.Grant.ClientID == client.ID
		if live {
			if live, err = stands(grant.RefreshStanding(r.Context(), s.registered(a.Grant.ClientID), s.Grants.Users, a.Grant)); err != nil {
				return err
			}
		}
		if live {
			out = introspection{Active: true, ClientID: a.Grant.ClientID, Subject: a.Grant.Subject,
				Scope: strings.Join(a.Grant.Scopes, " "), Expires: a.Token.ExpiresAt.Unix(),
				IssuedAt: a.Token.CreatedAt.Unix(), TokenType: "refresh_token", Issuer: s.issuer,
				Cnf: confirmation(a.Grant.DPoPJKT)}
		}
	} else if c, err := s.Minter.VerifyAccessToken(tok, s.Now()); err == nil {
		live, err := stands(grant.AccessStanding(r.Context(), s.registered(c.ClientID), s.Grants.Users, c.Subject))
		if err != nil {
			return err
		}
		if live {
			out = introspection{Active: true, ClientID: c.ClientID, Subject: c.Subject,
				Scope: strings.Join(c.Scopes, " "), Expires: c.ExpiresAt.Unix(), IssuedAt: c.IssuedAt.Unix(),
				TokenType: "Bearer", Issuer: s.issuer, Audience: c.Audience, JTI: c.ID, Cnf: confirmation(c.JKT)}
			if c.JKT != "" {
				out.TokenType = "DPoP" // RFC 9449 §6.2
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// registered returns the client registered as id now, nil if there is none.
func (s *Server) registered(id string) *config.Client {
	c, _ := s.Clients.Client(id)
	return c
}

// stands reports whether a grant.*Standing check passed; a lookup that
// failed (the store could not say whether the user is active) is its
// error, answered 503, not "inactive", which would make a resource server
// refuse a good token.
func stands(_ *config.User, err error) (bool, error) {
	if err != nil && !grant.NoLongerStands(err) {
		return false, err
	}
	return err == nil, nil
}
