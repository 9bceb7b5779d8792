package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// loadKey reads the PKCS#8 PEM P-256 private key at path (the file of
// flag), or, when there is no file, generates one and writes it (0600,
// never over another file), so that a later invocation signs with the
// same key; created says which.
func loadKey(flag, path string) (key *ecdsa.PrivateKey, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return nil, false, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", flag, err)
		}
		if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("%s: %w", flag, err)
		}
		if err := f.Close(); err != nil {
			return nil, false, fmt.Errorf("%s: %w", flag, err)
		}
		return key, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("%s: %w", flag, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, false, fmt.Errorf("%s %s: not a PEM PRIVATE KEY (PKCS#8)", flag, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, false, fmt.Errorf("%s %s: want a P-256 key (ES256)", flag, path)
	}
	return ec, false, nil
}

// publicJWK is key's public half as the members RFC 7638 §3.2 hashes, in
// its order, without whitespace; jkt is its SHA-256 thumbprint, base64url.
func publicJWK(key *ecdsa.PrivateKey) (jwk, jkt string, err error) {
	pub, err := key.PublicKey.Bytes() // 0x04 || x || y, 32 bytes each
	if err != nil {
		return "", "", err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	jwk = `{"crv":"P-256","kty":"EC","x":"` + b64(pub[1:33]) + `","y":"` + b64(pub[33:]) + `"}`
	tp := sha256.Sum256([]byte(jwk))
	return jwk, b64(tp[:]), nil
}

// newJTI is a fresh token id: 128 random bits, base64url (crypto/rand
// does not fail).
func newJTI() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// es256JWS is a compact JWS of claims under header (already base64url),
// signed ES256: the signature is r and s, 32 bytes each (RFC 7518 §3.4).
// Written by hand, as a load generator that spent more on each token than
// a client does would take that CPU from the server beside it.
func es256JWS(key *ecdsa.PrivateKey, header string, claims []byte) (string, error) {
	enc := base64.RawURLEncoding
	n := len(header) + 1 + enc.EncodedLen(len(claims))
	b := make([]byte, n, n+1+enc.EncodedLen(64))
	copy(b, header)
	b[len(header)] = '.'
	enc.Encode(b[len(header)+1:], claims)
	digest := sha256.Sum256(b)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", err
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	b = append(b, '.')
	b = enc.AppendEncode(b, sig[:])
	return string(b), nil
}
