package oauth

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// corsOrigins are the browser origins allowed to call the token, revocation
// and userinfo endpoints from JavaScript: the origins of every registered
// redirect URI (as Keycloak's "+" web origin does). A browser app that
// signs in with the code flow and PKCE must redeem its code from the page
// the browser was redirected to.
func corsOrigins(clients []config.Client) map[string]bool {
	out := map[string]bool{}
	for _, c := range clients {
		for _, ru := range c.RedirectURIs {
			u, err := url.Parse(ru)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				continue
			}
			out[u.Scheme+"://"+strings.ToLower(u.Host)] = true
		}
	}
	return out
}

// cors answers preflight requests and marks responses readable by an
// allowed origin (Fetch standard, CORS protocol). No credentials: these
// endpoints never read cookies.
func (s *Server) cors(methods string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && s.origins[origin]
		if allowed {
			hd := w.Header()
			hd.Set("Access-Control-Allow-Origin", origin)
			hd.Add("Vary", "Origin")
			// A throttled answer's Retry-After and userinfo's challenge are
			// not CORS-safelisted headers: the app could not read them.
			hd.Set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate, DPoP-Nonce")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				hd := w.Header()
				hd.Set("Access-Control-Allow-Methods", methods)
				hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
				hd.Set("Access-Control-Max-Age", "600")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
