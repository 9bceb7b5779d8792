package oauth

import "sync"

// wipedBufs is a pool of byte buffers that held secrets while in use (a
// request body with a client secret or a refresh token; a token response).
// put clears every byte a buffer holds, up to its capacity, before it goes
// back, so no request can read another's bytes (TestFormBodyBufferCleared,
// TestTokenResponseBufferCleared); a buffer grown past max is dropped.
type wipedBufs struct {
	p   sync.Pool
	max int
}

func newWipedBufs(size, max int) *wipedBufs {
	w := &wipedBufs{max: max}
	w.p.New = func() any { b := make([]byte, 0, size); return &b }
	return w
}

// get returns an empty buffer; *bp may be grown, and must be set to what
// the caller wrote, so that put clears it.
func (w *wipedBufs) get() *[]byte { return w.p.Get().(*[]byte) }

func (w *wipedBufs) put(bp *[]byte) {
	b := *bp
	clear(b[:cap(b)])
	if cap(b) > w.max {
		return
	}
	*bp = b[:0]
	w.p.Put(bp)
}
