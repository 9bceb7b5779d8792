package oauth

import (
	"net/http"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// corsOrigins are the browser origins allowed to call the token, revocation
// and userinfo endpoints from JavaScript: the origins of every registered
// redirect URI (as Keycloak's "+" web origin does). A browser app that
// signs in with the code flow and PKCE must redeem its code from the page
// the browser was redirected to.
func corsOrigins(clients []config.Client) map[string]bool {
	out := map[string]bool{}
	for i := range clients {
		for _, o := range clients[i].Origins() {
			out[o] = true
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
		// The store's clients (internal/directory) add theirs.
		allowed := origin != "" && (s.origins[origin] || s.Clients.AllowsOrigin(origin))
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
