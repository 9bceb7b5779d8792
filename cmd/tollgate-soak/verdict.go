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

	// Store: the server's sweep deletes expired rows (every minute now,
	// every ten in older builds), so the row count is a saw whose troughs
	// are the samples just after a sweep. Once the longest-lived rows (the
	// 15-minute parked requests, or a longer configured lifetime) expire as
	// fast as new ones come, the troughs stop rising. So split the time
	// after that point in two halves, each long enough to hold a sweep,
	// and compare their lowest values: the troughs.
	settle := maxDuration(cfg.Tokens.RefreshToken.MaxLifetime, cfg.Session.Lifetime, parkedLifetime)
	seen := 0
	for i := 1; i < len(samples); i++ {
		if samples[i].totalRows() < samples[i-1].totalRows() {
			seen++
		}
	}
	fmt.Printf("  sweeps seen (rows fell between samples): %d\n", seen)
	end := samples[len(samples)-1]
	if end.at < 2*settle {
		fmt.Printf("  store:  not judged: the store settles after %v (the longest lifetime) and is watched as long again; run at least %v\n",
			settle, 2*settle)
		return ok
	}
	mid := (settle + end.at) / 2
	var first, second []sample
	for _, s := range samples {
		switch {
		case s.at > settle && s.at <= mid:
			first = append(first, s)
		case s.at > mid:
			second = append(second, s)
		}
	}
	low := func(ss []sample, f func(sample) int64) int64 {
		m := f(ss[0])
		for _, s := range ss[1:] {
			m = min(m, f(s))
		}
		return m
	}
	used := func(s sample) int64 { return s.used }
	rows1, rows2 := low(first, sample.totalRows), low(second, sample.totalRows)
	used1, used2 := low(first, used), low(second, used)
	// In steady state the troughs repeat but for the randomness of the mix
	// (about 1% over ten minutes at 20 operations a second).
	verb := "PASS  flat"
	if float64(rows2) > 1.05*float64(rows1)+50 || float64(used2) > 1.05*float64(used1)+64*1024 {
		ok, verb = false, "FAIL  grew"
	}
	fmt.Printf("  store:  %s after the sweep: at least %d rows in %d KiB of pages from %.0f min, %d rows in %d KiB from %.0f min (file and WAL %d KiB, high-water)\n",
		verb, rows1, used1/1024, settle.Minutes(), rows2, used2/1024, mid.Minutes(), (end.dbBytes+end.walB)/1024)
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
