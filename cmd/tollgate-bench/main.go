package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tollgate-bench:", err)
		}
		os.Exit(1)
	}
}

// errRules: the runs finished, and some answer broke a refresh-token rule.
var errRules = errors.New("rule errors: the server broke a refresh-token rule (see above)")

type options struct {
	url, clientID, secret, auth  string
	user, password, scope        string
	allowRemote                  bool
	grants, drive, signinC       int
	prefill                      bool
	configPath, tokens, jsonPath string
	label                        string
	workers                      []int
	dur, warmup, timeout         time.Duration
	pid                          int
	cpuOf                        string
	metrics, adminToken          string // -metrics, $TOLLGATE_ADMIN_TOKEN
	retryEvery, revokeEvery      int
	checkStore                   bool
	http, dpop, assertionKey     string
	rotation                     string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("tollgate-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the server: its issuer (endpoints from discovery) or its token endpoint (…/connect/token)")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow a -url that is not on loopback (only a server you run)")
	fs.StringVar(&o.clientID, "client", "bench", "client id: a confidential client with the password (for -grants) and refresh_token grants and allow_offline_access")
	fs.StringVar(&o.secret, "secret", "", "client secret (default: $TOLLGATE_BENCH_SECRET)")
	fs.StringVar(&o.auth, "auth", "basic", "client authentication: basic (client_secret_basic), post (client_secret_post) or private_key_jwt (RFC 7523, with -assertion-key)")
	fs.StringVar(&o.assertionKey, "assertion-key", "", "for -auth private_key_jwt: a P-256 key file (PKCS#8 PEM, created 0600 when missing, its public key then printed for the client's jwks) that signs a client assertion (ES256) for every request")
	fs.StringVar(&o.user, "user", "bench", "username: signs in for -grants; the subject of -prefill grants")
	fs.StringVar(&o.password, "password", "", "password of -user for -grants (default: $TOLLGATE_BENCH_PASSWORD)")
	fs.StringVar(&o.scope, "scope", "openid offline_access", "scope of the grants")
	fs.IntVar(&o.grants, "grants", 0, "prepare this many grants: by the password grant, or with -prefill straight into the store")
	fs.IntVar(&o.signinC, "signin-c", 1, "password grants at once for -grants (the server throttles password checks)")
	fs.BoolVar(&o.prefill, "prefill", false, "write the -grants grants straight into the store of -config (1M, 10M), then drive -drive of them")
	fs.IntVar(&o.drive, "drive", 1000, "with -prefill: how many of the grants the runs drive; the rest are ballast")
	fs.StringVar(&o.configPath, "config", "", "the server's configuration file (for -prefill and -check-store): its storage, system secret, clients and users")
	fs.StringVar(&o.tokens, "tokens", "", "token file: read the chains from it when no -grants; written (0600) with the newest tokens after each run")
	fs.Var(intList{&o.workers}, "c", "workers, one run each: comma-separated, e.g. 8,32,256 (default 32; with -prefill, no run unless given)")
	fs.DurationVar(&o.dur, "d", 15*time.Second, "measured length of each run")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each run")
	fs.StringVar(&o.http, "http", httpLean, "the workers' HTTP client: lean (one HTTP/1.1 connection per worker, read and written by the worker itself: less of the box's CPU) or net/http (Go's client, as most harnesses use)")
	fs.StringVar(&o.dpop, "dpop", "", "a P-256 key file (PKCS#8 PEM, created 0600 when missing): every token request carries a DPoP proof (RFC 9449) signed with it, -prefill binds the grants to it, and a refresh must answer token_type DPoP")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id: report its CPU (100% = one core) and peak RSS per run")
	fs.StringVar(&o.cpuOf, "cpu-of", "", "a command name, e.g. postgres: report the CPU of every process of that name per run, summed (a database server's backends and helpers on this machine)")
	fs.StringVar(&o.metrics, "metrics", "", "the node's /metrics on its admin listener, e.g. http://127.0.0.1:9090/metrics (token: $TOLLGATE_ADMIN_TOKEN): report the store's group-commit batches per run, by operation")
	fs.StringVar(&o.jsonPath, "json", "", "append one JSON line per run to this file")
	fs.StringVar(&o.label, "label", "", "a label for the -json lines (e.g. sqlite-es256-10k)")
	fs.IntVar(&o.retryEvery, "retry-every", 0, "send every K-th refresh of a worker twice (a deliberate retry, as after a lost response); both answers must carry the same successor")
	fs.IntVar(&o.revokeEvery, "revoke-every", 0, "every K-th operation of a worker revokes its chain (RFC 7009) and checks the next refresh is invalid_grant; a revoked chain is not driven again, and a worker keeps its last one")
	fs.BoolVar(&o.checkStore, "check-store", false, "after each run, count the live refresh tokens of each driven grant in the store of -config: must be exactly 1")
	fs.StringVar(&o.rotation, "rotation", "one_time", "the client's rotation: one_time (a refresh must return a new token) or reuse")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if len(o.workers) == 0 && !o.prefill {
		o.workers = []int{32}
	}
	if o.secret == "" {
		o.secret = os.Getenv("TOLLGATE_BENCH_SECRET")
	}
	if o.password == "" {
		o.password = os.Getenv("TOLLGATE_BENCH_PASSWORD")
	}
	o.adminToken = os.Getenv("TOLLGATE_ADMIN_TOKEN")
	return o, o.check()
}

func (o *options) check() error {
	switch {
	case o.auth == authPrivateKeyJWT && o.assertionKey == "":
		return errors.New("-auth private_key_jwt needs -assertion-key FILE")
	case o.auth != authPrivateKeyJWT && o.assertionKey != "":
		return errors.New("-assertion-key is for -auth private_key_jwt")
	case o.secret == "" && o.auth != authPrivateKeyJWT && (len(o.workers) > 0 || !o.prefill):
		return errors.New("-secret (or TOLLGATE_BENCH_SECRET) is required")
	case o.http != httpLean && o.http != httpStd:
		return fmt.Errorf("-http %q: want %s or %s", o.http, httpLean, httpStd)
	case o.auth != "basic" && o.auth != "post" && o.auth != authPrivateKeyJWT:
		return fmt.Errorf("-auth %q: want basic, post or private_key_jwt", o.auth)
	case o.rotation != config.RotationOneTime && o.rotation != config.RotationReuse:
		return fmt.Errorf("-rotation %q: want one_time or reuse", o.rotation)
	case o.grants < 0 || o.drive < 1 || o.signinC < 1 || o.retryEvery < 0 || o.revokeEvery < 0:
		return errors.New("-grants, -retry-every and -revoke-every must be 0 or more, -drive and -signin-c 1 or more")
	case o.dur <= 0 || o.warmup < 0 || o.timeout <= 0:
		return errors.New("-d and -timeout must be above 0, -warmup 0 or more")
	case o.prefill && (o.grants == 0 || o.configPath == ""):
		return errors.New("-prefill needs -grants N and -config FILE")
	case o.checkStore && o.configPath == "":
		return errors.New("-check-store needs -config FILE")
	case o.grants == 0 && o.tokens == "":
		return errors.New("no chains: give -grants N (password grant), -prefill -grants N, or -tokens FILE")
	case !o.prefill && o.grants > 0 && o.password == "":
		return errors.New("-grants without -prefill signs in: -password (or TOLLGATE_BENCH_PASSWORD) is required")
	}
	for _, c := range o.workers {
		if c < 1 {
			return fmt.Errorf("-c %d: want 1 or more workers", c)
		}
	}
	return nil
}

// authPrivateKeyJWT is -auth's name for RFC 7523 client assertions.
const authPrivateKeyJWT = "private_key_jwt"

// intList is a comma-separated list of positive ints.
type intList struct{ v *[]int }

func (l intList) String() string {
	if l.v == nil {
		return ""
	}
	s := make([]string, len(*l.v))
	for i, n := range *l.v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (l intList) Set(s string) error {
	*l.v = (*l.v)[:0]
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not a number", f)
		}
		*l.v = append(*l.v, n)
	}
	return nil
}

const usage = `tollgate-bench drives refresh grants against a running Tollgate server and
checks the refresh-token rules under load (docs/performance.md).

  # 64 grants by the password grant, then runs at 8, 32 and 256 workers:
  tollgate-bench -url http://127.0.0.1:8080 -secret S -password P -grants 64 -c 8,32,256 -d 15s

  # 1M grants written straight into the store, 1,000 of them driven:
  tollgate-bench -config examples/bench.yaml -prefill -grants 1000000 -drive 1000 -tokens bench.tokens -secret S
  tollgate-bench -tokens bench.tokens -secret S -c 32 -pid $SERVER_PID -json results.jsonl

Flags:
`
