package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kinds of answer the driver counts. An expected refusal is the answer a
// bad request must get; unexpected is anything a correct server would not
// say (a 5xx, a refused good request, a bad request let through, no answer).
const (
	kindOK         = "ok"
	kindRefused    = "refused" // a bad request refused as it must be
	kindExpired    = "expired" // a refresh token that outlived its lifetime, refused
	kindThrottled  = "throttled"
	kindUnexpected = "unexpected"
)

// chain is a refresh token the driver holds, with when it must expire.
type chain struct {
	client, token string
	prev          string    // the token before it, for replays
	created, used time.Time // sign-in, last refresh
}

// driver sends the traffic and counts the answers.
type driver struct {
	cfg      *soakConfig
	http     *http.Client // the client apps' back end (appAddr)
	attacker *http.Client // every bad request (attackerAddr)

	mu       sync.Mutex
	chains   []*chain
	counts   map[string]int  // kind -> answers
	byOp     map[string]int  // op/kind -> answers
	lastErrs []string        // the latest unexpected answers, for the end
	browsers []*browserState // kept for reuse between sign-ins
}

// maxChains bounds the refresh tokens held: past it, sign-ins give way to
// refreshes.
const maxChains = 400

func newDriver(cfg *soakConfig) *driver {
	return &driver{cfg: cfg, http: boundClient(appAddr, nil), attacker: boundClient(attackerAddr, nil),
		counts: map[string]int{}, byOp: map[string]int{}}
}

// op is one operation of the mix, with its share of the traffic.
type op struct {
	name   string
	weight int
	run    func(d *driver, rng *rand.Rand) string // returns a kind
}

var mix = []op{
	{"signin", 5, (*driver).browserSignIn},
	{"password", 5, (*driver).passwordGrant},
	{"refresh", 60, (*driver).refresh},
	{"revoke", 2, (*driver).revoke},
	{"bad-secret", 5, (*driver).wrongSecret},
	{"bad-code", 5, (*driver).garbageCode},
	{"bad-refresh", 5, (*driver).garbageRefresh},
	{"replay", 2, (*driver).replay},
	{"bad-password", 2, (*driver).wrongPassword},
	{"bad-client", 5, (*driver).unknownClient},
}

// run drives traffic at rate operations per second over workers clients
// until ctx ends.
func (d *driver) run(ctx context.Context, rate float64, workers int) {
	tokens := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				close(tokens)
				return
			case <-t.C:
				select {
				case tokens <- struct{}{}:
				default: // every worker busy: the rate is bounded, never queued up
				}
			}
		}
	}()
	total := 0
	for _, o := range mix {
		total += o.weight
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for range tokens {
				n := rng.IntN(total)
				for _, o := range mix {
					if n -= o.weight; n < 0 {
						d.count(o.name, o.run(d, rng))
						break
					}
				}
			}
		}()
	}
	wg.Wait()
}

func (d *driver) count(op, kind string) {
	if kind == "" {
		return // counted under another operation
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.counts[kind]++
	d.byOp[op+"/"+kind]++
}

// unexpected records what went wrong and returns kindUnexpected.
func (d *driver) unexpected(format string, args ...any) string {
	msg := time.Now().Format("15:04:05 ") + fmt.Sprintf(format, args...)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lastErrs = append(d.lastErrs, msg); len(d.lastErrs) > 10 {
		d.lastErrs = d.lastErrs[1:]
	}
	return kindUnexpected
}

// snapshot returns a copy of the counts.
func (d *driver) snapshot() (map[string]int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := make(map[string]int, len(d.counts))
	for k, v := range d.counts {
		c[k] = v
	}
	return c, len(d.chains)
}

func (d *driver) printErrors() {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.byOp))
	for k := range d.byOp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("\nanswers by operation:")
	for _, k := range keys {
		fmt.Printf("  %-26s %d\n", k, d.byOp[k])
	}
	if len(d.lastErrs) > 0 {
		fmt.Println("latest unexpected answers:")
		for _, e := range d.lastErrs {
			fmt.Println("  " + e)
		}
	}
}

// answer is one HTTP exchange's outcome.
type answer struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
	err    error
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (a answer) String() string {
	if a.err != nil {
		return a.err.Error()
	}
	raw := a.raw
	if len(raw) > 200 {
		raw = raw[:200] + "…"
	}
	return fmt.Sprintf("%d %s", a.status, raw)
}

// post sends a form to path, with HTTP Basic client credentials when
// client is not empty.
func (d *driver) post(path string, form url.Values, client, secret string) answer {
	return d.postFrom(d.http, path, form, client, secret)
}

// postFrom is post through c (the attacker's address, say).
func (d *driver) postFrom(c *http.Client, path string, form url.Values, client, secret string) answer {
	req, _ := http.NewRequest(http.MethodPost, d.cfg.Issuer+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if client != "" {
		req.SetBasicAuth(url.QueryEscape(client), url.QueryEscape(secret))
	}
	return d.do(c, req)
}

func (d *driver) do(c *http.Client, req *http.Request) answer {
	res, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return answer{err: err}
	}
	a := answer{status: res.StatusCode, raw: string(raw), header: res.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// refused classifies the answer to a bad request: refused with the wanted
// status and error code, throttled, or unexpected.
func (d *driver) refused(what string, a answer, status int, code string) string {
	switch {
	case a.status == status && (code == "" || a.str("error") == code):
		return kindRefused
	case a.status == http.StatusTooManyRequests:
		return kindThrottled
	}
	return d.unexpected("%s: got %v, want %d %s", what, a, status, code)
}

// tokenOK checks a token answer and keeps its refresh token as a chain.
func (d *driver) tokenOK(what, client string, a answer) string {
	switch {
	case a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable && a.header.Get("Retry-After") != "":
		return kindThrottled
	case a.status != http.StatusOK || a.str("access_token") == "" || !strings.HasPrefix(a.str("refresh_token"), "tgrt_"):
		return d.unexpected("%s: %v", what, a)
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.chains) < maxChains {
		d.chains = append(d.chains, &chain{client: client, token: a.str("refresh_token"), created: now, used: now})
	}
	return kindOK
}

// take removes a random chain from the pool (nil when empty); put returns it.
func (d *driver) take(rng *rand.Rand) *chain {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.chains) == 0 {
		return nil
	}
	i := rng.IntN(len(d.chains))
	c := d.chains[i]
	d.chains[i] = d.chains[len(d.chains)-1]
	d.chains = d.chains[:len(d.chains)-1]
	return c
}

func (d *driver) put(c *chain) {
	d.mu.Lock()
	d.chains = append(d.chains, c)
	d.mu.Unlock()
}

// full reports whether the pool holds as many chains as it may.
func (d *driver) full() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.chains) >= maxChains
}

// mayHaveExpired: the chain is past its idle or absolute lifetime, give or
// take a second of clock and network.
func (d *driver) mayHaveExpired(c *chain, at time.Time) bool {
	rt := d.cfg.Tokens.RefreshToken
	return at.After(c.used.Add(rt.IdleLifetime-time.Second)) || at.After(c.created.Add(rt.MaxLifetime-time.Second))
}
