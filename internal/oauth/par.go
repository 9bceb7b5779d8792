package oauth

import (
	"net/http"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

type parResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
}

// par is the pushed authorization request endpoint (RFC 9126): the client
// authenticates as at the token endpoint and pushes its authorization
// parameters; it gets a one-time request_uri to send the browser with.
// Errors are JSON (§2.3), not redirects.
func (s *Server) par(w http.ResponseWriter, r *http.Request) error {
	// A public client pushes with no secret and the body is stored: cap it
	// below the 64 KiB of other endpoints (413, RFC 9126 §2.3).
	r.Body = http.MaxBytesReader(w, r.Body, maxPARBytes)
	if err := s.nonceFirst(w, r); err != nil { // RFC 9449 §8, before any jti is used
		return err
	}
	form, client, err := s.clientRequest(w, r, PathPAR)
	if err != nil {
		return err
	}
	params := url.Values{}
	for k, v := range form {
		switch k {
		case "client_secret", "client_assertion", "client_assertion_type":
		default:
			params[k] = v
		}
	}
	// RFC 9126 §3: a signed request object's parameters are the request.
	if params, err = s.pushedRequestObject(r.Context(), client, params); err != nil {
		return err
	}
	// RFC 9449 §10.1: a proof at PAR binds the code to its key, as
	// dpop_jkt does; both must name the same key.
	jkt, err := s.clientProof(w, r, client, PathPAR)
	if err != nil {
		return err
	}
	if jkt != "" {
		if v, ok := params["dpop_jkt"]; ok && (len(v) != 1 || v[0] != jkt) {
			return oautherr.New(oautherr.InvalidDPoPProof, "dpop_jkt is not the thumbprint of the DPoP proof's key (RFC 9449 §10.1)")
		}
		params.Set("dpop_jkt", jkt)
	}
	if params.Has("request_uri") {
		return oautherr.New(oautherr.InvalidRequest, "request_uri cannot be pushed (RFC 9126 §2.1)")
	}
	params.Set("client_id", client.ID)
	c, redirectURI, perr := authorize.ParseClient(params, s.Clients)
	if perr != nil {
		return oautherr.New(perr.Code, "%s", perr.Message)
	}
	if _, err := authorize.Validate(params, c, redirectURI, true); err != nil {
		return err
	}
	requestURI, ttl, err := s.signin.Push(r.Context(), c.ID, params, s.admit(w, r, c.ID))
	if err != nil {
		return err
	}
	noStore(w)
	writeJSON(w, http.StatusCreated, parResponse{RequestURI: requestURI, ExpiresIn: int(ttl.Seconds())})
	return nil
}
