package signin

import (
	"context"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// HintProves: an id_token_hint stands for the user's consent to a logout
// only when it names this very session by its sid (Back-Channel Logout
// §2.4 defines sid; RP-Initiated Logout §2 and §6 ask the OP to ask the
// user when the request may not come from the RP). An ID token without sid
// (every password-grant ID token) names no session: any site holding one
// could otherwise log the user out by a top-level navigation.
func HintProves(hint *mint.IDTokenHint, sess *store.Session) bool {
	return hint != nil && hint.SessionID != "" && hint.SessionID == sess.SID && hint.Subject == sess.Subject
}

// SignOut ends a session: it revokes the session's grants of each client
// with revoke_on_logout (refresh tokens for offline access outlive the
// session by design otherwise), deletes the session of cookie, and returns
// the clients to send a back-channel logout (OIDC Back-Channel Logout 1.0
// §2.7): each with a backchannel_logout_uri known to have signed in with
// this session, the one whose id_token_hint named it (hint, nil when none
// did) and each revoke_on_logout client that held a grant of it. The store
// keeps no list of a session's clients, and a logout token sent to every
// configured client would tell each one that the user exists and signed
// out: the others are not told.
func (s *Service) SignOut(ctx context.Context, cookie string, sess *store.Session, hint *mint.IDTokenHint, clients []*config.Client) ([]*config.Client, error) {
	var tell []*config.Client
	for _, cl := range clients {
		inSession := hint != nil && hint.ClientID == cl.ID
		if cl.RevokeOnLogout {
			n, err := s.Revoker.RevokeMatchingBy(ctx, store.GrantFilter{ClientID: cl.ID, SessionID: sess.SID}, refresh.ByLogout)
			if err != nil {
				return nil, err
			}
			inSession = inSession || n > 0
		}
		if inSession && cl.BackchannelLogoutURI != "" {
			tell = append(tell, cl)
		}
	}
	return tell, s.End(ctx, cookie)
}
