package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

// newJTI is a fresh token id: 128 random bits, base64url (crypto/rand
// does not fail).
func newJTI() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
