package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// signIn makes n chains through the password grant (RFC 6749 §4.3). The
// server throttles password checks (a slot per CPU, a short queue, then
// 429), so this goes one sign-in at a time by default (conc); a 429 waits
// and tries again, and says so once.
func signIn(ctx context.Context, t *target, user, password, scope string, n, conc int, log io.Writer) ([]*chain, error) {
	out := make([]*chain, n)
	var next atomic.Int64
	var warned sync.Once
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range max(1, conc) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				tok, err := signInOne(ctx, t, user, password, scope, func() {
					warned.Do(func() {
						fmt.Fprintln(log, "the server's password throttle answered 429: waiting and trying again (use -prefill for many grants)")
					})
				})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
				out[i] = &chain{token: tok}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func signInOne(ctx context.Context, t *target, user, password, scope string, throttled func()) (string, error) {
	var nonce string
	for attempt := 1; ; attempt++ {
		a := t.token(ctx, t, url.Values{"grant_type": {"password"}, "username": {user}, "password": {password}, "scope": {scope}}, &nonce)
		switch {
		case a.status == 200 && a.err == nil && a.refresh != "":
			return a.refresh, nil
		case a.status == 200 && a.err == nil:
			return "", fmt.Errorf("the password grant gave no refresh token: the client needs allow_offline_access and the refresh_token grant, and -scope must hold offline_access")
		case (a.status == 429 || a.status == 503) && attempt < 60:
			throttled()
			select {
			case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		default:
			return "", fmt.Errorf("password grant for %q: %s (check -client, -secret, -user, -password, -scope)", user, a.kind())
		}
	}
}
