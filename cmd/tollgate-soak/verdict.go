package main

import (
	"fmt"
	"slices"
	"time"
)

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
	// In steady state the troughs repeat but for the randomness of the mix
	// (about 1% over ten minutes at 20 operations a second).
	rowsOK := float64(end.totalRows()) <= 1.05*float64(then.totalRows())+50
	usedOK := float64(end.used) <= 1.05*float64(then.used)+64*1024
	verb := "PASS  flat"
	if !rowsOK || !usedOK {
		ok, verb = false, "FAIL  grew"
	}
	fmt.Printf("  store:  %s after the sweep: %d rows in %d KiB of pages at %.0f min, %d rows in %d KiB at %.0f min (file and WAL %d KiB, high-water)\n",
		verb, then.totalRows(), then.used/1024, then.at.Minutes(), end.totalRows(), end.used/1024, end.at.Minutes(), (end.dbBytes+end.walB)/1024)
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
