package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// Source addresses. Tollgate throttles per client address, so traffic that
// all came from 127.0.0.1 would throttle the good traffic with the bad, as
// no real deployment sees it. Every address in 127.0.0.0/8 is the loopback
// interface on Linux, so each party gets its own without any setup:
//   - appAddr: the confidential clients' back end (password grants,
//     refreshes, revocations, replays), one server for many users;
//   - browserNet: each browser its own address, as people sign in from
//     their own machines;
//   - attackerAddr: every bad request (wrong secrets and passwords, garbage
//     codes and tokens, unknown clients), so the throttle meets it alone.
const (
	appAddr      = "127.0.1.1"
	attackerAddr = "127.0.0.66"
	browserNet   = "127.0.2.%d" // 1..250
)

// boundClient is an HTTP client whose connections leave from ip. Redirects
// are not followed: the driver reads each step of a flow itself.
func boundClient(ip string, jar http.CookieJar) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// browserAddr picks a browser's own address.
func browserAddr(rng *rand.Rand) string { return fmt.Sprintf(browserNet, 1+rng.IntN(250)) }
