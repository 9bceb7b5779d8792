package dpop

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
)

// NonceFirst answers use_dpop_nonce (RFC 9449 §8) for a proof whose nonce
// is missing or not current, reading the nonce before anything is verified
// or recorded; nil for every other proof, which Verify then checks in full.
//
// The HTTP edge calls it before it authenticates the client or unwraps a
// request object: both record a jti (RFC 7523 §3, RFC 9101 §10.8), and the
// request the server asks to be sent again with a nonce must find them
// unused, as DPoP client libraries resend the same body. The nonce is no
// secret (every answer hands it out), so telling an unauthenticated sender
// to use it reveals nothing.
func (v *Verifier) NonceFirst(proof string) error {
	if v.Nonces == nil || len(proof) > maxProofLen {
		return nil
	}
	_, rest, ok := strings.Cut(proof, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var cl struct {
		Nonce string `json:"nonce"`
	}
	if json.Unmarshal(raw, &cl) != nil {
		return nil
	}
	return v.nonce(cl.Nonce)
}

// nonce checks a proof's nonce when the server requires one (§8, §4.3
// step 10): use_dpop_nonce when it is missing, stale or not this server's.
func (v *Verifier) nonce(n string) error {
	switch {
	case v.Nonces == nil:
		return nil
	case n == "":
		return oautherr.New(UseNonce, "this server requires a nonce in DPoP proofs; use the one in the DPoP-Nonce header of this answer (RFC 9449 §8)")
	case !v.Nonces.Valid(n):
		return oautherr.New(UseNonce, "the DPoP proof's nonce is stale or not one of this server's; use the one in the DPoP-Nonce header of this answer (RFC 9449 §8)")
	}
	return nil
}
