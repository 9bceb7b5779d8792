package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the read-only row counts
)

// tables are counted in every sample, in this order.
var tables = []string{"grants", "refresh_tokens", "auth_codes", "auth_requests", "sessions", "consents", "used_jtis"}

// sample is one row of the table.
type sample struct {
	at      time.Duration
	rssKiB  int64 // -1 when the process is unknown
	dbBytes int64 // the database file and its write-ahead log
	walB    int64
	rows    []int64 // per table; -1 when a count failed
	counts  map[string]int
	chains  int
}

func (s sample) totalRows() int64 {
	var n int64
	for _, r := range s.rows {
		if r > 0 {
			n += r
		}
	}
	return n
}

func takeSample(srv *server, d *driver, at time.Duration) sample {
	s := sample{at: at, rssKiB: rss(srv.pid), dbBytes: fileSize(srv.dbPath), walB: fileSize(srv.dbPath + "-wal")}
	s.counts, s.chains = d.snapshot()
	s.rows = countRows(srv.dbPath)
	return s
}

// rss reads VmRSS from /proc/PID/status, in KiB.
func rss(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// countRows counts each table over a read-only connection, so the soak
// never writes to the server's database.
func countRows(path string) []int64 {
	out := make([]int64, len(tables))
	for i := range out {
		out[i] = -1
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return out
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, t := range tables {
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&out[i])
	}
	return out
}

func printHeader() {
	fmt.Printf("\n%6s | %6s %7s %7s %5s %5s | %7s %8s %7s | %6s %7s %5s %6s %6s %6s %6s | %6s\n",
		"min", "ok", "refused", "expired", "thrtl", "unexp", "rss_MiB", "db_KiB", "wal_KiB",
		"grants", "tokens", "codes", "parked", "sessns", "cnsnts", "jtis", "chains")
}

var previous map[string]int

// printRow prints the answers since the previous row, and the state now.
func printRow(s sample) {
	d := func(k string) int { return s.counts[k] - previous[k] }
	rssMiB := "-"
	if s.rssKiB >= 0 {
		rssMiB = fmt.Sprintf("%.1f", float64(s.rssKiB)/1024)
	}
	fmt.Printf("%6.1f | %6d %7d %7d %5d %5d | %7s %8d %7d |", s.at.Minutes(), d(kindOK), d(kindRefused), d(kindExpired),
		d(kindThrottled), d(kindUnexpected), rssMiB, s.dbBytes/1024, s.walB/1024)
	widths := []int{6, 7, 5, 6, 6, 6, 6}
	for i, r := range s.rows {
		fmt.Printf(" %*d", widths[i], r)
	}
	fmt.Printf(" | %6d\n", s.chains)
	previous = s.counts
}

// verdict judges the run and prints why; it reports whether every judged
// verdict passed.
func verdict(samples []sample, cfg *soakConfig, o options) bool {
	last := samples[len(samples)-1]
	ok := true
	fmt.Println("\nverdict:")

	// Errors: a correct server gives no unexpected answer at all; the
	// trend says whether they grew.
	unexp := last.counts[kindUnexpected]
	firstThird, lastThird := 0, 0
	n := len(samples) - 1
	for i := 1; i <= n; i++ {
		delta := samples[i].counts[kindUnexpected] - samples[i-1].counts[kindUnexpected]
		switch {
		case i <= (n+2)/3:
			firstThird += delta
		case i > n-(n+2)/3:
			lastThird += delta
		}
	}
	switch {
	case unexp == 0:
		fmt.Printf("  errors: PASS  no unexpected answer in %d operations (%d bad requests refused as they must be)\n",
			total(last.counts), last.counts[kindRefused])
	case lastThird > firstThird:
		ok = false
		fmt.Printf("  errors: FAIL  %d unexpected answers, and they grew: %d in the first third, %d in the last\n", unexp, firstThird, lastThird)
	default:
		ok = false
		fmt.Printf("  errors: FAIL  %d unexpected answers (%d in the first third, %d in the last: not growing)\n", unexp, firstThird, lastThird)
	}

	// RSS: after the first third (warm-up), the median of the last third
	// stays within 20% (+8 MiB) of the median of the middle third. Medians,
	// not peaks: a burst of password checks (19 MiB of argon2id each) lifts
	// one sample for a moment, while a leak lifts them all.
	rssMid, rssEnd := rssIn(samples, o.duration/3, 2*o.duration/3), rssIn(samples, 2*o.duration/3, o.duration+time.Hour)
	switch {
	case len(rssMid) == 0 || len(rssEnd) == 0:
		fmt.Println("  rss:    not judged: needs the server's pid and samples in the middle and last thirds of the run")
	case float64(median(rssEnd)) <= 1.2*float64(median(rssMid))+8*1024:
		fmt.Printf("  rss:    PASS  flat: median %.1f MiB in the middle third, %.1f MiB in the last (peaks %.1f, %.1f)\n",
			mib(median(rssMid)), mib(median(rssEnd)), mib(slices.Max(rssMid)), mib(slices.Max(rssEnd)))
	default:
		ok = false
		fmt.Printf("  rss:    FAIL  grew: median %.1f MiB in the middle third, %.1f MiB in the last (peaks %.1f, %.1f)\n",
			mib(median(rssMid)), mib(median(rssEnd)), mib(slices.Max(rssMid)), mib(slices.Max(rssEnd)))
	}

	// Store: the server's sweep deletes expired rows every few minutes,
	// so the row count is a saw whose troughs are the samples just after a
	// sweep. Once the longest-lived rows (the 15-minute parked requests, or
	// a longer configured lifetime) expire as fast as new ones come, the
	// troughs stop rising: compare the last trough with the first one taken
	// after that point.
	settle := maxDuration(cfg.Tokens.RefreshToken.MaxLifetime, cfg.Session.Lifetime, parkedLifetime)
	var troughs []sample
	for i := 1; i < len(samples); i++ {
		if samples[i].totalRows() < samples[i-1].totalRows() {
			troughs = append(troughs, samples[i])
		}
	}
	fmt.Printf("  sweeps seen (rows fell between samples): %d\n", len(troughs))
	var then *sample
	for i := range troughs {
		if troughs[i].at >= settle && i < len(troughs)-1 {
			then = &troughs[i]
			break
		}
	}
	if then == nil {
		fmt.Printf("  store:  not judged: needs two sweeps after the store settles (%v, the longest lifetime); a 30-minute run has them\n", settle)
		return ok
	}
	end := troughs[len(troughs)-1]
	rowsOK := float64(end.totalRows()) <= 1.15*float64(then.totalRows())+100
	sizeOK := float64(end.dbBytes+end.walB) <= 1.15*float64(then.dbBytes+then.walB)+512*1024
	verb := "PASS  flat"
	if !rowsOK || !sizeOK {
		ok, verb = false, "FAIL  grew"
	}
	fmt.Printf("  store:  %s after the sweep: %d rows and %d KiB at %.0f min, %d rows and %d KiB at %.0f min\n", verb,
		then.totalRows(), (then.dbBytes+then.walB)/1024, then.at.Minutes(), end.totalRows(), (end.dbBytes+end.walB)/1024, end.at.Minutes())
	return ok
}

// parkedLifetime is how long the authorize endpoint keeps a parked request.
const parkedLifetime = 15 * time.Minute

// rssIn returns the RSS samples taken after from and up to to, in KiB.
func rssIn(samples []sample, from, to time.Duration) []int64 {
	var out []int64
	for _, s := range samples {
		if s.at > from && s.at <= to && s.rssKiB > 0 {
			out = append(out, s.rssKiB)
		}
	}
	return out
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

func total(c map[string]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

func maxDuration(ds ...time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
