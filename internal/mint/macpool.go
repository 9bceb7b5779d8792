package mint

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// macMsgLen bounds a message keyed through a macPool without allocating:
// the longest named token's body, or a derivation's input (grant id,
// generation, the presented token: at most maxNamedLen once Open accepted
// it), with room to spare. A longer one is hashed all the same, through
// a copy.
const macMsgLen = 256

// macPool hands out HMAC-SHA256 states under one key. hmac.New costs four
// allocations and two hash blocks (the padded key) per call; a state
// taken from the pool is Reset to its keyed start instead, which restores
// the precomputed inner and outer key blocks. Every refresh opens one
// token and seals one, so this runs on each refresh grant.
//
// A state holds secrets while in use (the message, a token; the sum).
// put clears both buffers and resets the HMAC before the state goes back,
// so a state taken later holds nothing of an earlier request
// (TestMACPoolClearsState).
type macPool struct {
	key []byte
	p   sync.Pool
}

// macState is one HMAC under the pool's key, with room for its message
// and sum, so that neither escapes to the heap per call.
type macState struct {
	h   hash.Hash
	msg [macMsgLen]byte
	sum [sha256.Size]byte
}

func newMACPool(key []byte) *macPool {
	mp := &macPool{key: key}
	mp.p.New = func() any { return &macState{h: hmac.New(sha256.New, mp.key)} }
	return mp
}

func (mp *macPool) get() *macState { return mp.p.Get().(*macState) }

// put wipes st and returns it to the pool.
func (mp *macPool) put(st *macState) {
	clear(st.msg[:])
	clear(st.sum[:])
	st.h.Reset()
	mp.p.Put(st)
}

// mac returns HMAC(key, msg) in st.sum. msg is usually st.msg[:n].
func (st *macState) mac(msg []byte) []byte {
	st.h.Write(msg)
	return st.h.Sum(st.sum[:0])
}
