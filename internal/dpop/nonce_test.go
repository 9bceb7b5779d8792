package dpop

import (
	"testing"
	"time"
)

func TestNonces(t *testing.T) {
	f := newFixture(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	f.v.Nonces = NewNonces(key, time.Minute, func() time.Time { return f.now })

	// Missing: use_dpop_nonce.
	_, err := f.verify(f.es256(f.header(), f.claims()), post())
	wantCode(t, err, UseNonce, "nonce")

	// Forged: made with another key (another deployment's secret).
	forged := NewNonces([]byte("another key, another deployment!"), time.Minute, func() time.Time { return f.now }).Current()
	c := f.claims()
	c["nonce"] = forged
	_, err = f.verify(f.es256(f.header(), c), post())
	wantCode(t, err, UseNonce, "stale")

	// Current: accepted.
	nonce := f.v.Nonces.Current()
	c = f.claims()
	c["nonce"] = nonce
	if _, err := f.verify(f.es256(f.header(), c), post()); err != nil {
		t.Fatal(err)
	}

	// Previous slot: still accepted (a nonce handed out just before the
	// rotation). Another node with the same key agrees.
	f.now = f.now.Add(time.Minute)
	other := NewNonces(key, time.Minute, func() time.Time { return f.now })
	if !other.Valid(nonce) {
		t.Fatal("another node refuses a nonce of the previous slot")
	}
	c = f.claims()
	c["nonce"] = nonce
	if _, err := f.verify(f.es256(f.header(), c), post()); err != nil {
		t.Fatalf("nonce of the previous slot: %v", err)
	}
	if other.Current() == nonce && f.v.Nonces.slotOf(f.now) == f.v.Nonces.slotOf(f.now.Add(-time.Minute)) {
		t.Fatal("the nonce did not rotate")
	}

	// Two slots on: stale.
	f.now = f.now.Add(time.Minute)
	c = f.claims()
	c["nonce"] = nonce
	_, err = f.verify(f.es256(f.header(), c), post())
	wantCode(t, err, UseNonce, "stale")

	// A peer whose clock runs a second ahead rotated first: its nonce is
	// of the next slot, and this node takes it.
	f.now = f.now.Truncate(time.Minute).Add(59 * time.Second)
	early := NewNonces(key, time.Minute, func() time.Time { return f.now.Add(time.Second) }).Current()
	if !f.v.Nonces.Valid(early) {
		t.Fatal("a nonce of a peer whose clock runs a second ahead is refused")
	}

	// A nonce from two slots ahead (a forged slot number) is refused.
	ahead := NewNonces(key, time.Minute, func() time.Time { return f.now.Add(2 * time.Minute) }).Current()
	if f.v.Nonces.Valid(ahead) {
		t.Fatal("a nonce of a future slot is accepted")
	}
	for _, junk := range []string{"", "x", "AAAA", nonce + "A"} {
		if f.v.Nonces.Valid(junk) {
			t.Fatalf("junk nonce %q accepted", junk)
		}
	}
}
