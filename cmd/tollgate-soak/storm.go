package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// A password storm: the attack the security review found (issue 10, flaw
// 2), rerunnable. n password grants with wrong passwords at c-way
// concurrency against a fresh server, once as one attacker guessing one
// user's password from one address, and once with every guess from another
// address for another username, so no per-user or per-address throttle
// applies and only the bound on concurrent password checks stands between
// the attacker and the server's memory (each argon2id check holds 19 MiB).
// It prints, per scenario, the answers by status, how long it took, and the
// server's peak RSS.
func storm(ctx context.Context, bin, dir string, n, c int) error {
	if n <= 0 || c <= 0 {
		return fmt.Errorf("-storm and -storm-c must be positive")
	}
	scenarios := []struct {
		name     string
		username func(i int) string
		addr     func(i int) string
	}{
		{"one user, one address", func(int) string { return "soak-user-1" }, func(int) string { return attackerAddr }},
		{"a new user and address each", func(i int) string { return fmt.Sprintf("storm-%d", i) },
			func(i int) string { return fmt.Sprintf("127.0.%d.%d", 10+i/250, 1+i%250) }},
	}
	fmt.Printf("storm: %d wrong-password grants at %d-way per scenario, a fresh server each\n\n", n, c)
	fmt.Printf("%-28s | %8s | %-34s | %s\n", "scenario", "time", "answers by status", "server peak RSS")
	for _, sc := range scenarios {
		srv, err := startServer(ctx, bin, "")
		if err != nil {
			return err
		}
		base := peakRSS(srv.pid)
		statuses, took := stormOnce(srv.cfg, n, c, sc.username, sc.addr)
		peak := peakRSS(srv.pid)
		srv.stop()
		fmt.Printf("%-28s | %8s | %-34s | %.0f MiB (%.0f MiB before)\n", sc.name, took.Round(10*time.Millisecond), statuses,
			float64(peak)/1024, float64(base)/1024)
	}
	return nil
}

// stormOnce sends the guesses and returns "status×count" for each status.
func stormOnce(cfg *soakConfig, n, c int, username, addr func(int) string) (string, time.Duration) {
	var mu sync.Mutex
	counts := map[string]int{}
	clients := map[string]*http.Client{}
	client := func(ip string) *http.Client {
		mu.Lock()
		defer mu.Unlock()
		if clients[ip] == nil {
			clients[ip] = boundClient(ip, nil)
		}
		return clients[ip]
	}
	sem := make(chan struct{}, c)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			form := url.Values{"grant_type": {"password"}, "username": {username(i)}, "password": {"not-" + randomString()}}
			req, _ := http.NewRequest(http.MethodPost, cfg.Issuer+"/connect/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(clientApp, cfg.secret(clientApp))
			key := "error"
			if res, err := client(addr(i)).Do(req); err == nil {
				key = fmt.Sprint(res.StatusCode)
				res.Body.Close()
			}
			mu.Lock()
			counts[key]++
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, counts[k])
	}
	return strings.Join(parts, " "), took
}
