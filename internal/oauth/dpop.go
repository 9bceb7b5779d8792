package oauth

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/dpop"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// DPoP at the HTTP edge (RFC 9449): read the one DPoP header, hand it to
// package dpop with this endpoint's method and URL, and pass the key's
// thumbprint on to grant and refresh as plain input.

// dpopHeader is the request's DPoP header; "" without one. RFC 9449 §4.3
// step 1: more than one is an invalid proof.
func dpopHeader(r *http.Request) (string, error) {
	vs := r.Header["Dpop"]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", oautherr.New(oautherr.InvalidDPoPProof, "send one DPoP header, not %d (RFC 9449 §4.3)", len(vs))
}

// setNonce hands out the current server nonce (RFC 9449 §8) when nonces
// are required: on every answer of an endpoint that takes proofs, so that
// a client learns it from its first request.
func (s *Server) setNonce(w http.ResponseWriter) {
	if s.DPoP != nil && s.DPoP.Nonces != nil {
		w.Header().Set("DPoP-Nonce", s.DPoP.Nonces.Current())
	}
}

// nonceFirst answers use_dpop_nonce, with the nonce to use, for a DPoP
// proof without a current server nonce, before the client is
// authenticated or a request object unwrapped (dpop.Verifier.NonceFirst):
// the retry the client is asked for may resend the same client assertion
// and request object, their jtis still unused. Any other proof, or none,
// is clientProof's to judge.
func (s *Server) nonceFirst(w http.ResponseWriter, r *http.Request) error {
	if s.DPoP == nil || s.DPoP.Nonces == nil {
		return nil
	}
	h, err := dpopHeader(r)
	if err != nil || h == "" {
		return nil
	}
	if err := s.DPoP.NonceFirst(h); err != nil {
		s.setNonce(w)
		return err
	}
	return nil
}

// clientProof verifies the DPoP proof of a client's request at the token
// or PAR endpoint (path) and returns its key's thumbprint, "" without a
// proof. A client with require_dpop must send one to the token endpoint.
func (s *Server) clientProof(w http.ResponseWriter, r *http.Request, c *config.Client, path string) (string, error) {
	s.setNonce(w)
	h, err := dpopHeader(r)
	if err != nil {
		return "", err
	}
	if h == "" {
		if c.RequireDPoP && path == PathToken {
			return "", oautherr.New(oautherr.InvalidDPoPProof, "client %q must send a DPoP proof with every token request (require_dpop, RFC 9449 §5)", c.ID)
		}
		return "", nil
	}
	if s.DPoP == nil {
		return "", errNoDPoP
	}
	p, err := s.DPoP.Verify(r.Context(), h, dpopCheck(r, c, s.endpointURL(path), ""))
	if err != nil {
		return "", err
	}
	return p.JKT, nil
}

// errNoDPoP: a server built without a verifier (a test's) refuses proofs.
var errNoDPoP = oautherr.New(oautherr.InvalidDPoPProof, "this server does not accept DPoP proofs")

func dpopCheck(r *http.Request, c *config.Client, url, accessToken string) dpop.Check {
	chk := dpop.Check{Method: r.Method, URL: url, AccessToken: accessToken}
	if c != nil {
		chk.Algs = c.DPoPSigningAlgs
	}
	return chk
}

// tokenBinding checks how an access token came to a protected resource
// (userinfo) against its binding (RFC 9449 §7): a DPoP-bound token only
// with Authorization: DPoP and a proof by its key that names it in ath; a
// bearer token only as Bearer. Failures are 401 with a DPoP challenge.
func (s *Server) tokenBinding(w http.ResponseWriter, r *http.Request, tok string, asDPoP bool, c mint.AccessClaims) error {
	switch {
	case !asDPoP && c.JKT == "":
		return nil
	case !asDPoP:
		// §7.1: a bound token presented as a bearer token is refused.
		return s.dpopChallenge(w, oautherr.New(oautherr.InvalidToken, "the access token is DPoP-bound; send it as Authorization: DPoP with a DPoP proof (RFC 9449 §7.1)"))
	case c.JKT == "":
		return s.dpopChallenge(w, oautherr.New(oautherr.InvalidToken, "the access token is not DPoP-bound; send it as Authorization: Bearer"))
	}
	h, err := dpopHeader(r)
	if err == nil && h == "" {
		err = oautherr.New(oautherr.InvalidDPoPProof, "Authorization: DPoP needs a DPoP header with a proof (RFC 9449 §7)")
	}
	if err == nil && s.DPoP == nil {
		err = errNoDPoP
	}
	var p dpop.Proof
	if err == nil {
		s.setNonce(w)
		p, err = s.DPoP.Verify(r.Context(), h, dpopCheck(r, s.registered(c.ClientID), s.issuer+PathUserinfo, tok))
	}
	if err == nil && subtle.ConstantTimeCompare([]byte(p.JKT), []byte(c.JKT)) != 1 {
		err = oautherr.New(oautherr.InvalidDPoPProof, "the DPoP proof is signed by another key than the one the access token is bound to (cnf.jkt)")
	}
	if err != nil {
		return s.dpopChallenge(w, err)
	}
	return nil
}

// dpopChallenge answers a resource request refused for DPoP reasons: 401
// with WWW-Authenticate: DPoP, the error and the algorithms accepted
// (RFC 9449 §7.1). Server errors pass through.
func (s *Server) dpopChallenge(w http.ResponseWriter, err error) error {
	e := oautherr.As(err)
	if e.Status >= 500 {
		return err
	}
	out := *e
	out.Status = http.StatusUnauthorized
	return s.dpopChallengeAs(w, &out)
}

// dpopChallengeAs challenges in the DPoP scheme with err's own status: a
// refusal that is not about the token or the proof (insufficient_scope,
// 403) still speaks the scheme the client used (RFC 9449 §7.1).
func (s *Server) dpopChallengeAs(w http.ResponseWriter, err error) error {
	e := oautherr.As(err)
	if e.Status >= 500 {
		return err
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`DPoP algs=%q, error=%q, error_description=%q`,
		strings.Join(s.Config.DPoP.SigningAlgs, " "), e.Code, strings.ReplaceAll(e.Description, `"`, "'")))
	return err
}
