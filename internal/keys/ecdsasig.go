package keys

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

var errECDSASig = errors.New("malformed ECDSA signature")

// appendFixedWidth converts an ECDSA signature from the DER
// ECDSA-Sig-Value crypto/ecdsa returns (SEQUENCE { r INTEGER, s INTEGER },
// RFC 3279 §2.2.3) into the form RFC 7518 §3.4 requires in a JWS: R and S
// as big-endian unsigned octet strings of exactly size octets each (32 for
// ES256), left-padded with zeros, concatenated. A JWS verifier rejects the
// DER form. It is appended to dst.
func appendFixedWidth(dst, der []byte, size int) ([]byte, error) {
	in := cryptobyte.String(der)
	var seq, r, s cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, asn1.INTEGER) || !seq.ReadASN1(&s, asn1.INTEGER) || !seq.Empty() {
		return nil, errECDSASig
	}
	start := len(dst)
	for range 2 * size {
		dst = append(dst, 0)
	}
	if !putUnsigned(dst[start:start+size], r) || !putUnsigned(dst[start+size:], s) {
		return nil, errECDSASig
	}
	return dst, nil
}

// putUnsigned writes the DER INTEGER content v (two's complement, minimal)
// right-aligned into out, which is zero. It refuses an empty, negative or
// non-minimal integer and one longer than out.
func putUnsigned(out []byte, v []byte) bool {
	if len(v) == 0 || v[0]&0x80 != 0 {
		return false
	}
	if v[0] == 0 && len(v) > 1 {
		if v[1]&0x80 == 0 {
			return false // a zero octet DER would not have written
		}
		v = v[1:]
	}
	if len(v) > len(out) {
		return false
	}
	copy(out[len(out)-len(v):], v)
	return true
}
