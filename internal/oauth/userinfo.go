package oauth

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// userinfo is the UserInfo endpoint (OIDC Core §5.3), protected by a bearer
// access token sent in the Authorization header or, with POST, in the form
// body (RFC 6750 §2.1, §2.2). It answers the user's current claims for the
// token's scopes.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	tok, asDPoP, err := bearerToken(w, r)
	if err != nil {
		return err
	}
	c, err := s.Minter.VerifyAccessToken(tok, s.Now())
	if err != nil {
		err = oautherr.New(oautherr.InvalidToken, "the access token is invalid or expired")
		if asDPoP {
			// RFC 9449 §7.1: a client using the DPoP scheme is challenged
			// in it, so that its library sees invalid_token and refreshes.
			err = s.dpopChallenge(w, err)
		}
		return err
	}
	if err := s.tokenBinding(w, r, tok, asDPoP, c); err != nil {
		return err
	}
	// Past the token's own checks, a refusal is still challenged in the
	// scheme the client used (bearerProtected adds Bearer's).
	refuse := func(err error) error {
		if asDPoP {
			return s.dpopChallengeAs(w, err)
		}
		return err
	}
	if !slices.Contains(c.Scopes, grant.ScopeOpenID) {
		return refuse(oautherr.New(oautherr.InsufficientScope, "the access token was not granted the openid scope"))
	}
	u, err := grant.AccessStanding(r.Context(), s.registered(c.ClientID), s.Grants.Users, c.Subject)
	if err != nil && !grant.NoLongerStands(err) {
		return err // the store could not tell: 503, the token may be fine
	}
	if err != nil || u == nil {
		return refuse(oautherr.New(oautherr.InvalidToken, "the user or the client of this access token no longer exists or is disabled"))
	}
	claims := grant.UserClaims(u, c.Scopes)
	claims["sub"] = u.Subject
	writeJSON(w, http.StatusOK, claims)
	return nil
}

// errNoBearer: the request carried no access token at all (RFC 6750 §3.1:
// the challenge then names no error).
var errNoBearer = &oautherr.Error{Code: oautherr.InvalidToken, Status: http.StatusUnauthorized, Description: "an access token is required"}

// bearerToken finds the access token of a request (RFC 6750 §2) and says
// whether it came as Authorization: DPoP (RFC 9449 §7.1). Sending it in
// more than one way is an invalid_request (§2).
func bearerToken(w http.ResponseWriter, r *http.Request) (string, bool, error) {
	var found []string
	asDPoP := false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		asDPoP = strings.EqualFold(scheme, "DPoP")
		if !ok || !(strings.EqualFold(scheme, "Bearer") || asDPoP) || strings.TrimSpace(tok) == "" {
			return "", false, oautherr.New(oautherr.InvalidRequest, "the Authorization header must be \"Bearer <access token>\" or \"DPoP <access token>\"")
		}
		found = append(found, strings.TrimSpace(tok))
	}
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if r.Header.Get("Content-Type") != "" {
			form, err := postForm(w, r)
			if err != nil {
				return "", false, err
			}
			if t := form.Get("access_token"); t != "" {
				found = append(found, t)
			}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		return "", false, errMethod("GET and POST")
	}
	switch len(found) {
	case 0:
		return "", false, errNoBearer
	case 1:
		return found[0], asDPoP, nil
	default:
		return "", false, oautherr.New(oautherr.InvalidRequest, "send the access token in one place only")
	}
}
