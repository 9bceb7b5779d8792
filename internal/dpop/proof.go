package dpop

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Error codes of RFC 9449 §5 and §8 (token endpoint) and §7.1 (resource).
const (
	InvalidProof = oautherr.InvalidDPoPProof
	UseNonce     = oautherr.UseDPoPNonce
)

// Algs are the JWS algorithms a proof may be signed with: asymmetric only
// (RFC 9449 §4.3 step 5: never "none", never a MAC). Package config lists
// the same names for dpop.signing_alg_values.
var Algs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA"}

// JTIStore records proof ids so that none is accepted twice (store.Store).
type JTIStore interface {
	UseJTI(ctx context.Context, clientID, jti string, expiresAt, now time.Time) error
}

// Verifier checks DPoP proofs (RFC 9449 §4.3).
type Verifier struct {
	JTI JTIStore // store.ErrConflict for an id used before
	Now func() time.Time
	// Window is how old a proof's iat may be; Skew how far ahead of our
	// clock it may be (RFC 9449 §4.3 step 11, §11.1).
	Window, Skew time.Duration
	// Nonces, when set, makes a server nonce required (RFC 9449 §8).
	Nonces *Nonces

	goJoseOnly bool // tests: every proof through go-jose (es256.go)
}

// Check is what one request expects of its proof.
type Check struct {
	Method string // the request's method (htm)
	URL    string // the endpoint's URL (htu), without query or fragment
	// AccessToken, when set, is the token the proof must name in ath
	// (RFC 9449 §4.3 step 12, §7).
	AccessToken string
	// Algs are the algorithms accepted for this client; nil means Algs.
	Algs []string
}

// Proof is a verified proof.
type Proof struct {
	JKT      string // JWK SHA-256 thumbprint (RFC 7638), base64url
	IssuedAt time.Time
}

// maxProofLen bounds the header value before any decoding: an RSA-4096
// jwk and a 512-byte signature fit well within it.
const maxProofLen = 8 << 10

// maxJTILen bounds the jti stored for replay detection.
const maxJTILen = 256

func invalid(format string, args ...any) *oautherr.Error {
	return oautherr.New(InvalidProof, format, args...)
}

// privateMembers are JWK members that only a private or symmetric key has
// (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// header is the proof's protected header as sent, read before go-jose
// parses it so that each mistake gets its own description. Member names
// are case-sensitive (RFC 7515 §4).
type header struct {
	Typ, Alg string
	object   // every member, jwk among them
}

// claims are the proof's claims (RFC 9449 §4.2).
type claims struct {
	JTI   string   `json:"jti"`
	HTM   string   `json:"htm"`
	HTU   string   `json:"htu"`
	IAT   *float64 `json:"iat"`
	ATH   string   `json:"ath"`
	Nonce string   `json:"nonce"`
}

// Verify checks proof against c, the steps of RFC 9449 §4.3 in order, and
// records its jti last, so that nothing unsigned can fill the store. Every
// failure is an *oautherr.Error: invalid_dpop_proof, or use_dpop_nonce
// when a nonce is required and missing or stale (§8).
func (v *Verifier) Verify(ctx context.Context, proof string, c Check) (Proof, error) {
	// Step 2: one well-formed JWT.
	if proof == "" || len(proof) > maxProofLen {
		return Proof{}, invalid("the DPoP header must hold one DPoP proof JWT of at most %d bytes", maxProofLen)
	}
	h, err := readHeader(proof)
	if err != nil {
		return Proof{}, err
	}
	// Step 4: typ dpop+jwt (RFC 9449 §4.2; media types compare case-insensitively).
	if !strings.EqualFold(h.Typ, "dpop+jwt") && !strings.EqualFold(h.Typ, "application/dpop+jwt") {
		return Proof{}, invalid("the DPoP proof's typ must be dpop+jwt, not %q (RFC 9449 §4.2)", h.Typ)
	}
	// Step 5: an asymmetric algorithm we and the client accept.
	algs := c.Algs
	if algs == nil {
		algs = Algs
	}
	if !slices.Contains(Algs, h.Alg) || !slices.Contains(algs, h.Alg) {
		return Proof{}, invalid("the DPoP proof's alg %q is not accepted; use one of %s (RFC 9449 §4.3)", h.Alg, strings.Join(algs, ", "))
	}
	// Step 7: the jwk is a public key.
	if len(h.members["jwk"]) == 0 {
		return Proof{}, invalid("the DPoP proof's header has no jwk (RFC 9449 §4.2)")
	}
	jwk, err := readObject(h.members["jwk"])
	if err != nil {
		return Proof{}, invalid("the DPoP proof's jwk is not a JSON object")
	}
	for _, m := range privateMembers {
		if _, ok := jwk.members[m]; ok {
			return Proof{}, invalid("the DPoP proof's jwk holds private key material (%q); send only the public key (RFC 9449 §4.3 step 7)", m)
		}
	}
	// Step 6: signed by that key.
	payload, jkt, err := v.signedBy(proof, h, jwk)
	if err != nil {
		return Proof{}, err
	}
	var cl claims
	if err := json.Unmarshal(payload, &cl); err != nil {
		return Proof{}, invalid("the DPoP proof's claims are not a JSON object of the RFC 9449 §4.2 claims")
	}
	// Step 3: the required claims.
	switch {
	case cl.JTI == "":
		return Proof{}, invalid("the DPoP proof has no jti (RFC 9449 §4.2)")
	case len(cl.JTI) > maxJTILen || strings.ContainsFunc(cl.JTI, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return Proof{}, invalid("the DPoP proof's jti must be at most %d bytes without control characters", maxJTILen)
	case cl.HTM == "" || cl.HTU == "" || cl.IAT == nil:
		return Proof{}, invalid("the DPoP proof needs htm, htu and iat claims (RFC 9449 §4.2)")
	}
	// Step 8: htm is the request's method (case-sensitive, RFC 9110 §9.1).
	if cl.HTM != c.Method {
		return Proof{}, invalid("the DPoP proof's htm %q is not this request's method %s", cl.HTM, c.Method)
	}
	// Step 9: htu is this endpoint, query and fragment ignored.
	if !SameURI(cl.HTU, c.URL) {
		return Proof{}, invalid("the DPoP proof's htu %q is not this endpoint, %s", cl.HTU, c.URL)
	}
	// Step 12: ath, when an access token comes with the proof (§7).
	if c.AccessToken != "" {
		if cl.ATH == "" {
			return Proof{}, invalid("the DPoP proof has no ath; a proof sent with an access token must carry its hash (RFC 9449 §4.2)")
		}
		if cl.ATH != TokenHash(c.AccessToken) {
			return Proof{}, invalid("the DPoP proof's ath is not the hash of the access token sent with it")
		}
	}
	// Step 11: iat within the window.
	if *cl.IAT < 0 || *cl.IAT > 1e11 {
		return Proof{}, invalid("the DPoP proof's iat is not a time")
	}
	now := v.Now()
	// Seconds and fraction apart: an iat past 2262 overflows nanoseconds
	// in an int64 and would read as a time long past.
	sec := math.Floor(*cl.IAT)
	iat := time.Unix(int64(sec), int64((*cl.IAT-sec)*1e9))
	switch {
	case iat.Before(now.Add(-v.Window)):
		return Proof{}, invalid("the DPoP proof was made more than %s ago; make a new proof for every request", v.Window)
	case iat.After(now.Add(v.Skew)):
		return Proof{}, invalid("the DPoP proof's iat is in the future; check the client's clock")
	}
	// Step 10: the server's nonce (§8), when required.
	if err := v.nonce(cl.Nonce); err != nil {
		return Proof{}, err
	}
	// §11.1: a proof is accepted once. It is acceptable until iat+Window,
	// so its id is kept that long, keyed by the key so that clients never
	// collide.
	if err := v.JTI.UseJTI(ctx, "dpop:"+jkt, cl.JTI, iat.Add(v.Window), now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Proof{}, invalid("the DPoP proof was already used; make a new proof, with a fresh jti, for every request (RFC 9449 §11.1)")
		}
		return Proof{}, oautherr.Server(fmt.Errorf("dpop: record jti: %w", err))
	}
	return Proof{JKT: jkt, IssuedAt: iat}, nil
}

// signedBy checks that the proof is signed by its jwk (RFC 9449 §4.3
// step 6) and gives its payload and the jwk's thumbprint: a bare
// ES256 proof by the standard library (es256.go), any other through
// go-jose.
func (v *Verifier) signedBy(proof string, h header, embedded object) ([]byte, string, error) {
	if h.bareES256() && !v.goJoseOnly {
		if key, jkt, ok := p256Key(embedded); ok {
			payload, read, valid := verifyES256(proof, key)
			switch {
			case read && valid:
				return payload, jkt, nil
			case read:
				return nil, "", badSignature()
			}
		}
	}
	jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(h.Alg)})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, "", invalid("the DPoP proof is not a well-formed JWS")
	}
	jwk := jws.Signatures[0].Header.JSONWebKey
	if jwk == nil || !jwk.Valid() || !jwk.IsPublic() {
		return nil, "", invalid("the DPoP proof's jwk is not a valid public key")
	}
	if rk, ok := jwk.Key.(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
		return nil, "", invalid("the DPoP proof's RSA key is shorter than 2048 bits")
	}
	// go-jose checks that alg fits the key.
	payload, err := jws.Verify(jwk)
	if err != nil {
		return nil, "", badSignature()
	}
	jkt, err := Thumbprint(jwk)
	if err != nil {
		return nil, "", invalid("the DPoP proof's jwk has no thumbprint")
	}
	return payload, jkt, nil
}

func badSignature() *oautherr.Error {
	return invalid("the DPoP proof's signature does not verify with its jwk")
}

// readHeader decodes the protected header of a compact JWS.
func readHeader(proof string) (header, error) {
	var h header
	seg, _, ok := strings.Cut(proof, ".")
	if !ok || strings.Count(proof, ".") != 2 {
		return h, invalid("the DPoP proof is not a compact JWS (three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return h, invalid("the DPoP proof's header is not base64url")
	}
	notObject := func() *oautherr.Error {
		return invalid("the DPoP proof's header is not a JSON object with string typ and alg")
	}
	if h.object, err = readObject(raw); err != nil {
		return h, notObject()
	}
	var typErr, algErr error
	h.Typ, _, typErr = h.str("typ")
	h.Alg, _, algErr = h.str("alg")
	if typErr != nil || algErr != nil {
		return h, notObject()
	}
	return h, nil
}

// TokenHash is ath: the base64url SHA-256 of the access token's ASCII
// (RFC 9449 §4.2).
func TokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of k, base64url: the jkt
// of a key (RFC 9449 §6.1).
func Thumbprint(k *jose.JSONWebKey) (string, error) {
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// ValidJKT reports whether s has the shape of a SHA-256 thumbprint in
// base64url: 43 characters of the base64url alphabet (dpop_jkt, §10).
func ValidJKT(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
