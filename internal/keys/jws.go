package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// b64 is the base64url encoding without padding of RFC 7515 §2.
var b64 = base64.RawURLEncoding

// JWSSigner makes compact JWS values (RFC 7515 §7.1) with one private key
// and one protected header. Only the serialization is Tollgate's: hashing
// and signing are crypto/sha256, crypto/sha512, crypto/ecdsa, crypto/rsa and
// crypto/ed25519. A JWSSigner is immutable and safe for concurrent use.
type JWSSigner struct {
	alg    string
	kid    string
	header string // base64url of the protected header, encoded once
	key    *signingKey
}

// signingKey is one private key with what signing needs of its algorithm.
type signingKey struct {
	alg  string
	spec algSpec
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	ed   ed25519.PrivateKey
}

type sigKind int

const (
	kindPKCS1 sigKind = iota + 1 // RSASSA-PKCS1-v1_5, RFC 7518 §3.3
	kindPSS                      // RSASSA-PSS, RFC 7518 §3.5
	kindECDSA                    // RFC 7518 §3.4
	kindEdDSA                    // RFC 8037 §3.1
)

// algSpec is what RFC 7518 §3.1 (and RFC 8037 for EdDSA) fixes for an alg.
type algSpec struct {
	kind  sigKind
	hash  crypto.Hash    // none for EdDSA, which signs the input itself
	curve elliptic.Curve // ECDSA only
	size  int            // ECDSA only: octets of each of R and S (§3.4)
}

// algSpecs are the asymmetric JWS algorithms go-jose signed with before
// this signer replaced it, so every key a store may hold still signs.
// Tollgate creates RS256 and ES256 keys only (Algorithms).
var algSpecs = map[string]algSpec{
	"RS256": {kind: kindPKCS1, hash: crypto.SHA256},
	"RS384": {kind: kindPKCS1, hash: crypto.SHA384},
	"RS512": {kind: kindPKCS1, hash: crypto.SHA512},
	"PS256": {kind: kindPSS, hash: crypto.SHA256},
	"PS384": {kind: kindPSS, hash: crypto.SHA384},
	"PS512": {kind: kindPSS, hash: crypto.SHA512},
	"ES256": {kind: kindECDSA, hash: crypto.SHA256, curve: elliptic.P256(), size: 32},
	"ES384": {kind: kindECDSA, hash: crypto.SHA384, curve: elliptic.P384(), size: 48},
	"ES512": {kind: kindECDSA, hash: crypto.SHA512, curve: elliptic.P521(), size: 66},
	"EdDSA": {kind: kindEdDSA},
}

// newSigningKey checks that jwk's private key is one its alg signs with.
func newSigningKey(jwk jose.JSONWebKey) (*signingKey, error) {
	spec, ok := algSpecs[jwk.Algorithm]
	if !ok {
		return nil, fmt.Errorf("cannot sign with %q", jwk.Algorithm)
	}
	k := &signingKey{alg: jwk.Algorithm, spec: spec}
	switch priv := jwk.Key.(type) {
	case *rsa.PrivateKey:
		if spec.kind != kindPKCS1 && spec.kind != kindPSS {
			return nil, fmt.Errorf("an RSA key cannot sign %s", jwk.Algorithm)
		}
		// RFC 7518 §3.3, §3.5: 2048 bits or larger.
		if priv.N.BitLen() < rsaBits {
			return nil, fmt.Errorf("an RSA key of %d bits is too short for %s", priv.N.BitLen(), jwk.Algorithm)
		}
		k.rsa = priv
		k.rsa.Precompute()
	case *ecdsa.PrivateKey:
		if spec.kind != kindECDSA || priv.Curve != spec.curve {
			return nil, fmt.Errorf("an ECDSA key on %s cannot sign %s", priv.Curve.Params().Name, jwk.Algorithm)
		}
		k.ec = priv
	case ed25519.PrivateKey:
		if spec.kind != kindEdDSA {
			return nil, fmt.Errorf("an Ed25519 key cannot sign %s", jwk.Algorithm)
		}
		k.ed = priv
	default:
		return nil, fmt.Errorf("unsupported private key type %T", jwk.Key)
	}
	return k, nil
}

// protectedHeader is the JOSE header of every token (RFC 7515 §4.1.1
// "alg", §4.1.4 "kid", §4.1.9 "typ"), in the order and with exactly the
// members go-jose wrote before: nothing a verifier did not see before.
type protectedHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// newJWSSigner encodes k's protected header for typ ("" for none).
func newJWSSigner(k *signingKey, kid, typ string) (*JWSSigner, error) {
	h, err := json.Marshal(protectedHeader{Alg: k.alg, Kid: kid, Typ: typ})
	if err != nil {
		return nil, fmt.Errorf("keys: encoding a JWS header: %w", err)
	}
	return &JWSSigner{alg: k.alg, kid: kid, header: b64.EncodeToString(h), key: k}, nil
}

// NewJWSSigner is a signer with the private key jwk under a protected
// header of the caller's, header (JSON, encoded here once), for a JWT whose
// header is not a token's alg, kid and typ: a DPoP proof's embeds its
// public key (RFC 9449 §4.2). The header's alg must be jwk's Algorithm.
func NewJWSSigner(jwk jose.JSONWebKey, header []byte) (*JWSSigner, error) {
	k, err := newSigningKey(jwk)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(header, &h); err != nil || h.Alg != k.alg {
		return nil, fmt.Errorf("keys: the protected header must be a JSON object with alg %q", k.alg)
	}
	return &JWSSigner{alg: k.alg, kid: jwk.KeyID, header: b64.EncodeToString(header), key: k}, nil
}

// Algorithm is the "alg" this signer writes.
func (j *JWSSigner) Algorithm() string { return j.alg }

// KeyID is the "kid" this signer writes: its key's id in the JWK Set.
func (j *JWSSigner) KeyID() string { return j.kid }

// Sign returns payload signed as a compact JWS (RFC 7515 §7.1):
// BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature), built
// in one buffer sized up front. The signing input is the first two parts
// (§5.1). payload is read, not kept.
func (j *JWSSigner) Sign(payload []byte) (string, error) {
	inLen := len(j.header) + 1 + b64.EncodedLen(len(payload))
	buf := make([]byte, inLen, inLen+1+b64.EncodedLen(j.key.sigLen()))
	n := copy(buf, j.header)
	buf[n] = '.'
	b64.Encode(buf[n+1:], payload)
	var scratch [2 * 66]byte // the largest fixed-width ECDSA signature, ES512
	sig, err := j.key.sign(buf, scratch[:0])
	if err != nil {
		return "", fmt.Errorf("keys: signing with %q: %w", j.kid, err)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// sigLen is the length of k's signatures in octets.
func (k *signingKey) sigLen() int {
	switch k.spec.kind {
	case kindPKCS1, kindPSS:
		return k.rsa.Size()
	case kindECDSA:
		return 2 * k.spec.size
	default:
		return ed25519.SignatureSize
	}
}

// sign returns the JWS Signature of input (RFC 7518 §3, RFC 8037 §3.1),
// appended to dst when the algorithm's form allows it.
func (k *signingKey) sign(input, dst []byte) ([]byte, error) {
	if k.spec.kind == kindEdDSA {
		// Ed25519 hashes the message itself (RFC 8032 §5.1.6).
		return ed25519.Sign(k.ed, input), nil
	}
	var sum [sha512.Size]byte
	digest := sum[:k.spec.hash.Size()]
	switch k.spec.hash {
	case crypto.SHA256:
		s := sha256.Sum256(input)
		copy(digest, s[:])
	case crypto.SHA384:
		s := sha512.Sum384(input)
		copy(digest, s[:])
	case crypto.SHA512:
		s := sha512.Sum512(input)
		copy(digest, s[:])
	default:
		return nil, errors.New("no hash for this algorithm")
	}
	switch k.spec.kind {
	case kindPKCS1:
		// crypto/rsa ignores the random source of PKCS #1 v1.5 signing.
		return rsa.SignPKCS1v15(nil, k.rsa, k.spec.hash, digest)
	case kindPSS:
		// RFC 7518 §3.5: the salt is as long as the hash output.
		return rsa.SignPSS(rand.Reader, k.rsa, k.spec.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	default:
		der, err := ecdsa.SignASN1(rand.Reader, k.ec, digest)
		if err != nil {
			return nil, err
		}
		return appendFixedWidth(dst, der, k.spec.size)
	}
}
