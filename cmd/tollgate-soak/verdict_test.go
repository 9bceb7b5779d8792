package main

import (
	"testing"
	"time"
)

// run30 is a synthetic 30-minute run sampled every minute, the way the
// server's store behaves: rows of two lifetimes (5 and 15 minutes) made at
// 100 a minute each and deleted by a sweep every 10 minutes once expired,
// plus leakRows a minute that never go (200 bytes a row; the file keeps its
// high-water mark); RSS 60 MiB plus leakKiB a minute, with one burst;
// unexpected answers at errEvery-minute intervals (0: none).
func run30(leakRows, leakKiB int64, errEvery int) []sample {
	return run30Sweep(10, leakRows, leakKiB, errEvery)
}

// run30Sweep is run30 with a sweep every `every` minutes and, with a sweep
// every minute, a little noise in what is created.
func run30Sweep(every int, leakRows, leakKiB int64, errEvery int) []sample {
	live := func(t, lifetime int) int64 {
		cut := 0
		if sweep := t / every * every; sweep >= lifetime { // rows that expired by the last sweep are gone
			cut = sweep - lifetime
		}
		return int64(100 * (t - cut))
	}
	var out []sample
	var high int64
	unexpected := 0
	for t := 0; t <= 30; t++ {
		rows := live(t, 5) + live(t, 15) + leakRows*int64(t) + int64(t*7%5*10) // noise: 0 to 40
		high = max(high, rows)
		rss := 60*1024 + leakKiB*int64(t)
		if t == 25 {
			rss += 100 * 1024 // a burst of argon2id checks
		}
		if errEvery > 0 && t > 0 && t%errEvery == 0 {
			unexpected += t / errEvery
		}
		out = append(out, sample{at: time.Duration(t)*time.Minute + time.Second, rssKiB: rss, dbBytes: 200 * high, used: 200 * rows,
			rows: []int64{rows, 0, 0, 0, 0, 0, 0}, counts: map[string]int{kindOK: 1000 * t, kindUnexpected: unexpected}})
	}
	return out
}

func soakTestConfig() *soakConfig {
	c := &soakConfig{}
	c.Tokens.RefreshToken.MaxLifetime = 5 * time.Minute
	c.Session.Lifetime = 5 * time.Minute
	return c
}

func TestVerdict(t *testing.T) {
	o := options{duration: 30 * time.Minute}
	cases := []struct {
		name    string
		samples []sample
		want    bool
	}{
		{"flat store, flat rss with a burst, no errors", run30(0, 0, 0), true},
		{"rows that never expire", run30(30, 0, 0), false},
		{"rss that keeps growing", run30(0, 5*1024, 0), false},
		{"unexpected answers", run30(0, 0, 3), false},
		{"too short to judge the store", run30(0, 0, 0)[:12], true},
		{"sweep every minute, flat", run30Sweep(1, 0, 0, 0), true},
		{"sweep every minute, rows that never expire", run30Sweep(1, 30, 0, 0), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := verdict(tc.samples, soakTestConfig(), o); got != tc.want {
				t.Fatalf("verdict = %v, want %v", got, tc.want)
			}
		})
	}
}
