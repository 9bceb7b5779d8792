package main

import (
	"context"
	"sync"
	"time"
)

// chain is one grant the tool drives: its current refresh token.
type chain struct {
	token   string
	revoked bool // revoked by the tool (-revoke-every): no longer driven
	lost    bool // refused as invalid_grant though the tool did not revoke it
}

// driveOptions say how one run goes.
type driveOptions struct {
	workers     int
	warmup, dur time.Duration
	retryEvery  int  // every K-th refresh of a worker is sent twice
	revokeEvery int  // every K-th operation of a worker revokes its chain
	oneTime     bool // the client rotates one_time: a refresh must return a new token
	dpop        bool // proofs are sent: a refresh must answer token_type DPoP
}

// drive runs o.workers workers over chains (worker w takes chains w,
// w+workers, ...) for o.warmup then o.dur, and returns what they saw in
// the measured window (the part after the warm-up) and its length. A
// worker starts no request after the window ends, and lets the one in
// flight finish, so a chain's newest token is never lost to the stop.
func drive(ctx context.Context, t *target, chains []*chain, o driveOptions) (*tally, time.Duration) {
	start := time.Now()
	from, until := start.Add(o.warmup), start.Add(o.warmup+o.dur)
	total := newTally()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range o.workers {
		var own []*chain
		for i := w; i < len(chains); i += o.workers {
			own = append(own, chains[i])
		}
		wg.Go(func() {
			w := &worker{t: t, p: t, o: o, chains: own, from: from, until: until}
			if t.lean {
				l := newLeanConn(t, t.http.Timeout)
				defer l.close()
				w.p = l
			}
			tl := w.run(ctx)
			mu.Lock()
			total.merge(tl)
			mu.Unlock()
		})
	}
	wg.Wait()
	window := time.Since(from)
	if end := until.Sub(from); window > end {
		window = end // requests finishing after until are not counted
	}
	return total, window
}

// worker rotates its own chains one after the other.
type worker struct {
	t           *target
	p           poster // t, or the worker's own leanConn
	nonce       string // the server's latest DPoP nonce, under -dpop
	o           driveOptions
	chains      []*chain
	from, until time.Time
	n           int // operations so far
}

func (w *worker) run(ctx context.Context) *tally {
	tl := newTally()
	for i := 0; ctx.Err() == nil; i++ {
		if !time.Now().Before(w.until) {
			break
		}
		c := w.next(i)
		if c == nil {
			break // every chain of this worker is gone
		}
		w.n++
		// A worker never revokes its last chain, so it drives to the end.
		if w.o.revokeEvery > 0 && w.n%w.o.revokeEvery == 0 && w.live() > 1 {
			w.revokeAndCheck(ctx, c, tl)
			continue
		}
		w.refresh(ctx, c, tl)
	}
	return tl
}

// next is the i-th chain in turn that is still driven, or nil.
func (w *worker) next(i int) *chain {
	for k := range w.chains {
		c := w.chains[(i+k)%len(w.chains)]
		if !c.revoked && !c.lost {
			return c
		}
	}
	return nil
}

// live is how many of the worker's chains are still driven.
func (w *worker) live() int {
	n := 0
	for _, c := range w.chains {
		if !c.revoked && !c.lost {
			n++
		}
	}
	return n
}

// counted reports whether an operation that ended at end is in the window.
func (w *worker) counted(end time.Time) bool { return !end.Before(w.from) && end.Before(w.until) }

// refresh rotates c once, and, every retryEvery-th time, sends the same
// token again as a client whose answer was lost would.
func (w *worker) refresh(ctx context.Context, c *chain, tl *tally) {
	t0 := time.Now()
	a := w.t.refresh(ctx, w.p, c.token, &w.nonce)
	end := time.Now()
	in := w.counted(end)
	if a.status != 200 || a.err != nil {
		if in {
			tl.errs[a.kind()]++
		}
		if a.errCode == "invalid_grant" {
			c.lost = true // the server refuses the chain: drive the others
		}
		return // a 429, 5xx or transport error: try the same token again later
	}
	if in {
		tl.ok++
		tl.lat = append(tl.lat, end.Sub(t0))
	}
	if broken := checkRotation(c.token, a, w.o.oneTime); broken != "" && in {
		tl.rules[broken]++
	}
	if broken := checkDPoP(a, w.o.dpop); broken != "" && in {
		tl.rules[broken]++
	}
	if w.o.retryEvery > 0 && w.n%w.o.retryEvery == 0 {
		t1 := time.Now()
		b := w.t.refresh(ctx, w.p, c.token, &w.nonce)
		end := time.Now()
		if w.counted(end) {
			tl.retries++
			if b.status == 200 && b.err == nil {
				tl.ok++
				tl.lat = append(tl.lat, end.Sub(t1))
			}
			if broken := checkRetry(a, b); broken != "" {
				tl.rules[broken]++
			}
		}
	}
	if a.refresh != "" {
		c.token = a.refresh
	}
}

// revokeAndCheck revokes c's grant (RFC 7009) and checks that its token is
// refused afterwards.
func (w *worker) revokeAndCheck(ctx context.Context, c *chain, tl *tally) {
	r := w.t.revoke(ctx, w.p, c.token)
	if r.status != 200 || r.err != nil {
		if w.counted(time.Now()) {
			tl.errs["revocation "+r.kind()]++
		}
		return
	}
	c.revoked = true
	a := w.t.refresh(ctx, w.p, c.token, &w.nonce)
	if !w.counted(time.Now()) {
		return
	}
	tl.revokes++
	if a.status == 0 {
		tl.errs["after revocation "+a.kind()]++
		return
	}
	if broken := checkRevoked(a); broken != "" {
		tl.rules[broken]++
	}
}
