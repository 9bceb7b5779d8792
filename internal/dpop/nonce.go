package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Nonces makes and checks server nonces (RFC 9449 §8). A nonce is a time
// slot number and a MAC over it; it is accepted during its own slot and
// the next one, so it lives between one and two slot lengths, and every
// node sharing the key accepts it. Nothing is stored. A node also accepts
// a nonce of the slot after its own: a peer whose clock runs a little
// ahead rotates first, and its clients must not be sent back for a nonce
// once more for that.
type Nonces struct {
	key  []byte
	slot time.Duration
	now  func() time.Time
}

// nonceMACLen is the length of the truncated HMAC-SHA256 tag (128 bits).
const nonceMACLen = 16

// NewNonces returns nonces keyed by key (derived from the system secret,
// never the secret itself) that rotate every slot.
func NewNonces(key []byte, slot time.Duration, now func() time.Time) *Nonces {
	return &Nonces{key: key, slot: slot, now: now}
}

// Current is the nonce of the current slot: the one to hand out.
func (n *Nonces) Current() string { return n.make(n.slotOf(n.now())) }

// Valid reports whether s is a nonce of this key for the current, the
// previous or the next slot. A forged, malformed, older or later one is
// not.
func (n *Nonces) Valid(s string) bool {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) != 8+nonceMACLen {
		return false
	}
	slot := int64(binary.BigEndian.Uint64(raw[:8]))
	cur := n.slotOf(n.now())
	if slot < cur-1 || slot > cur+1 {
		return false
	}
	return hmac.Equal(raw[8:], n.mac(raw[:8]))
}

func (n *Nonces) slotOf(t time.Time) int64 { return t.UnixNano() / int64(n.slot) }

func (n *Nonces) make(slot int64) string {
	var b [8 + nonceMACLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(slot))
	copy(b[8:], n.mac(b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (n *Nonces) mac(slot []byte) []byte {
	h := hmac.New(sha256.New, n.key)
	h.Write([]byte("tollgate dpop nonce v1\x00"))
	h.Write(slot)
	return h.Sum(nil)[:nonceMACLen]
}
