package mint

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
)

// A state goes back to the pool holding nothing of the request that used
// it: no message (a token), no sum, and an HMAC at its keyed start, so the
// next user's sum is the sum of its own message only.
func TestMACPoolClearsState(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	mp := newMACPool(key)
	st := mp.get()
	tok := "tgrt_grant.3.secretsecretsecretsecretsecretsecretsecrettagtagtagtagtagtagta"
	st.mac(st.msg[:copy(st.msg[:], tok)])
	st.h.Write([]byte("half-written message")) // a user that never summed
	mp.put(st)
	if st.msg != [macMsgLen]byte{} {
		t.Error("put left the message (a token) in the pooled buffer")
	}
	if st.sum != [sha256.Size]byte{} {
		t.Error("put left the sum in the pooled buffer")
	}
	want := hmac.New(sha256.New, key)
	want.Write([]byte("next"))
	if got := st.mac([]byte("next")); !hmac.Equal(got, want.Sum(nil)) {
		t.Error("a reused state's HMAC carries an earlier request's input")
	}
}

// The hot path's token work allocates only the strings it returns: seal
// and HashToken one each, Open none, whatever the pool holds.
func TestRefreshKeysAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	k := testRefreshKeys()
	presented, _ := k.First(NewID())
	succ, _ := k.Successor(NewID(), 12, presented)
	forged := succ[:len(succ)-1] + "A"
	for _, tt := range []struct {
		name string
		f    func()
		want float64
	}{
		{"Open(named)", func() { k.Open(succ) }, 0},
		{"Open(forged tag)", func() { k.Open(forged) }, 0},
		{"Successor", func() { _, _ = k.Successor("grant-1", 13, presented) }, 1},
		{"First", func() { _, _ = k.First("grant-1") }, 1},
		{"HashToken(named)", func() { HashToken(succ) }, 1},
	} {
		if n := testing.AllocsPerRun(200, tt.f); n > tt.want {
			t.Errorf("%s: %v allocations, want %v", tt.name, n, tt.want)
		}
	}
}

// Concurrent users of one pool each get their own state: a sum computed
// while others hash is still the sum of its own message.
func TestRefreshKeysConcurrent(t *testing.T) {
	k := testRefreshKeys()
	want, _ := k.Successor("grant-1", 7, "tgrt_presented")
	done := make(chan string, 8)
	for range cap(done) {
		go func() {
			var got string
			for range 200 {
				got, _ = k.Successor("grant-1", 7, "tgrt_presented")
				if got != want {
					break
				}
				if f, _ := k.Open(got); f != NamedRefresh {
					got = "open failed"
					break
				}
			}
			done <- got
		}()
	}
	for range cap(done) {
		if got := <-done; got != want {
			t.Fatalf("concurrent Successor = %q, want %q", got, want)
		}
	}
}
