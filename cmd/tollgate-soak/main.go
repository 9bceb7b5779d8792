// Command tollgate-soak drives a Tollgate server on loopback with mixed
// traffic for a fixed time and watches whether it stays healthy: flat
// memory, a store that stops growing once the server's sweep removes
// expired rows, and no growth of errors. It is a tool to run by hand (see
// docs/soak.md), not a CI test.
//
//	go run ./cmd/tollgate-soak -duration 30m
//
// By default it builds ./cmd/tollgate, writes a configuration with short
// lifetimes into a temporary folder, starts `tollgate serve` on a free
// loopback port with SQLite, and stops it at the end. -attach drives a
// server someone else started with a configuration this tool wrote
// (-write-config).
//
// The traffic, at -rate operations per second over -workers connections:
// browser sign-ins (authorize, login page, consent page, code exchange, with
// a cookie jar), password grants, refreshes, revocations, and bad requests
// (wrong client secrets, garbage codes and refresh tokens, replays of used
// refresh tokens, wrong passwords, unknown clients). Every -sample it prints
// one row: the server's RSS (/proc/PID/status), the SQLite file sizes, the
// row count of each table (read-only), and the answers by kind. At the end
// it says whether RSS and the store stayed flat and whether errors grew, and
// exits 1 if any verdict failed.
//
// -storm N replays the password storm of the security review instead: N
// wrong-password grants at -storm-c concurrency, and the server's peak RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tollgate-soak:", err)
		os.Exit(1)
	}
}

type options struct {
	duration, sample time.Duration
	rate             float64
	workers          int
	bin, dir         string
	attach           bool
	config           string
	pid              int
	writeConfig      string
	storm, stormC    int
}

func run() error {
	var o options
	flag.DurationVar(&o.duration, "duration", 30*time.Minute, "how long to drive traffic")
	flag.DurationVar(&o.sample, "sample", time.Minute, "how often to sample and print a row")
	flag.Float64Var(&o.rate, "rate", 20, "operations per second (each is one to five HTTP requests)")
	flag.IntVar(&o.workers, "workers", 4, "concurrent clients")
	flag.StringVar(&o.bin, "bin", "", "the tollgate binary to start (default: go build ./cmd/tollgate)")
	flag.StringVar(&o.dir, "dir", "", "folder for the configuration, database and server log (default: a new temporary folder, kept)")
	flag.BoolVar(&o.attach, "attach", false, "drive a running server instead of starting one: needs -config (and -pid for RSS)")
	flag.StringVar(&o.config, "config", "", "with -attach: the configuration the server runs with, written by -write-config")
	flag.IntVar(&o.pid, "pid", 0, "with -attach: the server's process id, for RSS")
	flag.StringVar(&o.writeConfig, "write-config", "", "write a soak configuration for a server on -listen to this path and exit")
	listen := flag.String("listen", "127.0.0.1:0", "with -write-config: the loopback address the server will listen on")
	flag.IntVar(&o.storm, "storm", 0, "instead of the soak: this many wrong-password grants against a fresh server (see docs/soak.md)")
	flag.IntVar(&o.stormC, "storm-c", 48, "with -storm: how many at once")
	flag.Parse()

	if o.writeConfig != "" {
		_, err := writeSoakConfig(o.writeConfig, *listen)
		return err
	}
	if o.duration <= 0 || o.sample <= 0 || o.rate <= 0 || o.workers <= 0 {
		return fmt.Errorf("-duration, -sample, -rate and -workers must be positive")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.storm > 0 {
		if o.bin == "" {
			dir, err := os.MkdirTemp("", "tollgate-storm-")
			if err != nil {
				return err
			}
			if o.bin, err = buildTollgate(ctx, dir); err != nil {
				return err
			}
		}
		return storm(ctx, o.bin, o.dir, o.storm, o.stormC)
	}

	var srv *server
	var err error
	if o.attach {
		srv, err = attachServer(o.config, o.pid)
	} else {
		srv, err = startServer(ctx, o.bin, o.dir)
	}
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("soak: %s for %v at %.0f ops/s over %d clients; server pid %d, store %s\n",
		srv.cfg.Issuer, o.duration, o.rate, o.workers, srv.pid, srv.dbPath)
	if srv.log != "" {
		fmt.Printf("soak: server log %s\n", srv.log)
	}

	d := newDriver(srv.cfg)
	if err := d.preflight(); err != nil {
		return err
	}
	var samples []sample
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	done := make(chan struct{})
	go func() { d.run(runCtx, o.rate, o.workers); close(done) }()

	start := time.Now()
	tick := time.NewTicker(o.sample)
	defer tick.Stop()
	printHeader()
	first := takeSample(srv, d, 0)
	printRow(first)
	samples = append(samples, first)
	for {
		select {
		case <-tick.C:
		case <-runCtx.Done():
		}
		running := runCtx.Err() == nil
		if !running {
			<-done // the last row counts every answer
		}
		s := takeSample(srv, d, time.Since(start))
		printRow(s)
		samples = append(samples, s)
		if !running {
			break
		}
	}
	<-done
	if ctx.Err() == nil {
		// A last look a few seconds on, so a sweep due at the very end
		// (the server's clock runs a little ahead of ours) is seen.
		time.Sleep(5 * time.Second)
		s := takeSample(srv, d, time.Since(start))
		printRow(s)
		samples = append(samples, s)
	}
	if ctx.Err() != nil {
		fmt.Println("soak: interrupted; the verdict covers the samples so far")
	}
	d.printErrors()
	if !verdict(samples, srv.cfg, o) {
		return fmt.Errorf("a verdict failed")
	}
	return nil
}
