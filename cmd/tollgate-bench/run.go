package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// run is the whole tool: prepare the chains, then one run per -c.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var cfg *config.Config
	if o.configPath != "" {
		if cfg, err = config.Load(o.configPath); err != nil {
			return err
		}
	}
	hc := newHTTPClient(slices.Max(append([]int{1}, o.workers...)), o.timeout)
	t := &target{clientID: o.clientID, secret: o.secret, formAuth: o.auth == "post", http: hc, lean: o.http == httpLean}
	if o.dpop != "" {
		if t.dpop, err = loadProver(o.dpop); err != nil {
			return err
		}
	}
	if o.auth == authPrivateKeyJWT {
		if t.assert, err = loadAsserter(o.assertionKey, o.clientID, stderr); err != nil {
			return err
		}
	}
	chains, err := prepare(ctx, o, cfg, t, stdout)
	if err != nil {
		return err
	}
	if o.tokens != "" {
		if err := writeTokens(o.tokens, chains); err != nil {
			return err
		}
	}
	if len(o.workers) == 0 {
		return nil // -prefill alone
	}
	if t.tokenURL, t.revokeURL, err = resolve(ctx, hc, o.url, o.allowRemote); err != nil {
		return err
	}
	if o.revokeEvery > 0 && t.revokeURL == "" {
		return fmt.Errorf("-revoke-every: the server publishes no revocation_endpoint")
	}
	rules := 0
	for _, c := range o.workers {
		r, err := runOnce(ctx, o, cfg, t, chains, c)
		if err != nil {
			return err
		}
		r.print(stdout)
		rules += r.ruleErrors()
		if o.tokens != "" {
			if err := writeTokens(o.tokens, chains); err != nil {
				return err
			}
		}
		if o.jsonPath != "" {
			if err := appendJSON(o.jsonPath, r); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if rules > 0 {
		return errRules
	}
	return nil
}

// prepare returns the chains to drive: prefilled, signed in, or read.
func prepare(ctx context.Context, o *options, cfg *config.Config, t *target, log io.Writer) ([]*chain, error) {
	switch {
	case o.prefill:
		p := prefillPlan{grants: o.grants, drive: min(o.drive, o.grants), clientID: o.clientID,
			username: o.user, scopes: strings.Fields(o.scope)}
		if t.dpop != nil {
			p.proofKey = t.dpop.jkt
		}
		return prefill(ctx, cfg, p, log)
	case o.grants > 0:
		var err error
		// Endpoints first: signing in needs the token endpoint.
		if t.tokenURL, t.revokeURL, err = resolve(ctx, t.http, o.url, o.allowRemote); err != nil {
			return nil, err
		}
		t0 := time.Now()
		chains, err := signIn(ctx, t, o.user, o.password, o.scope, o.grants, o.signinC, log)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "signed in %d grants by the password grant in %s\n", len(chains), time.Since(t0).Round(time.Millisecond))
		return chains, nil
	default:
		return readTokens(o.tokens)
	}
}

// runOnce is one run at c workers, with the server watched and the store
// checked when asked.
func runOnce(ctx context.Context, o *options, cfg *config.Config, t *target, chains []*chain, c int) (result, error) {
	live := slices.DeleteFunc(slices.Clone(chains), func(ch *chain) bool { return ch.revoked || ch.lost })
	if len(live) < c {
		return result{}, fmt.Errorf("-c %d needs at least %d chains, have %d: raise -grants or -drive", c, c, len(live))
	}
	load := load1()
	var w *watcher
	if o.pid > 0 {
		var err error
		if w, err = watch(o.pid); err != nil {
			return result{}, err
		}
		time.AfterFunc(o.warmup, w.cpu.mark)
	}
	self := pidCPU(os.Getpid()) // the tool's own CPU: what it took from the server's box
	time.AfterFunc(o.warmup, self.mark)
	var others *cpuMark
	if o.cpuOf != "" {
		others = namedCPU(o.cpuOf)
		time.AfterFunc(o.warmup, others.mark)
	}
	type scraped struct {
		counts batchCounts
		err    error
	}
	var batchesBefore chan scraped // -metrics, read as the window opens
	if o.metrics != "" {
		batchesBefore = make(chan scraped, 1)
		scrape := func() {
			c, err := scrapeBatches(ctx, o.metrics, o.adminToken)
			batchesBefore <- scraped{c, err}
		}
		if o.warmup > 0 {
			time.AfterFunc(o.warmup, scrape)
		} else {
			scrape() // before the first request: a loaded machine may start a timer's goroutine late
		}
	}
	tl, window := drive(ctx, t, live, driveOptions{workers: c, warmup: o.warmup, dur: o.dur,
		retryEvery: o.retryEvery, revokeEvery: o.revokeEvery, oneTime: o.rotation == config.RotationOneTime,
		dpop: t.dpop != nil})
	r := summarize(tl, window)
	if batchesBefore != nil {
		before := <-batchesBefore
		after, err := scrapeBatches(ctx, o.metrics, o.adminToken)
		if err = cmp.Or(before.err, err); err != nil {
			return result{}, err
		}
		r.StoreBatches = after.since(before.counts)
	}
	r.ToolCPUPercent, r.HTTPClient = self.percent(), t.httpClient()
	if others != nil {
		r.CPUOf, r.CPUOfPercent = o.cpuOf, others.percent()
	}
	r.Time, r.Label, r.Target, r.Workers, r.Chains, r.Load1Before = time.Now().UTC().Format(time.RFC3339), o.label, t.tokenURL, c, len(live), load
	if w != nil {
		w.done(&r)
	}
	if o.checkStore {
		bad, checked, err := checkStore(ctx, cfg, live)
		if err != nil {
			return result{}, err
		}
		if bad > 0 {
			r.RuleErrors[ruleLiveTokens] += bad
		}
		r.StoreCheck = fmt.Sprintf("%d driven grants, %d with other than one live token", checked, bad)
	}
	return r, nil
}

func appendJSON(path string, r result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("-json: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("-json: %w", err)
	}
	return f.Close()
}
