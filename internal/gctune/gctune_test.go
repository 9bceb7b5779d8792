package gctune

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, scan, floor uint64
		want              int
	}{
		{1 * mib, 1 * mib, 32 * mib, 800},     // the runtime's minimum goal, 4 MiB × 8, reaches 32 MiB first
		{5 * mib, 5 * mib, 32 * mib, 540},     // 5 + 5 × 5.4
		{5 * mib, 6 * mib, 32 * mib, 450},     // stacks and globals are scanned too: 5 + 6 × 4.5
		{16 * mib, 16 * mib, 32 * mib, 100},   // at half the floor: Go's default
		{20 * mib, 20 * mib, 32 * mib, 100},   // above it: never below the default
		{500 * mib, 500 * mib, 32 * mib, 100}, // a big heap is left alone
		{0, 0, 32 * mib, 800},                 // before the first collection
		{0, 0, 1 << 30, maxPercent},           // bounded
		{7 * mib, 7 * mib, 32 * mib, 358},     // rounded up: the goal reaches the floor
		{7 * mib, 0, 32 * mib, 358},           // scan is never less than the heap
	} {
		got := Percent(c.live, c.scan, c.floor)
		if got != c.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", c.live, c.scan, c.floor, got, c.want)
		}
		goal := max(c.live+max(c.scan, c.live)*uint64(got)/100, runtimeHeapMinimum*uint64(got)/100)
		if got > minPercent && got < maxPercent && goal < c.floor {
			t.Errorf("Percent(%d, %d, %d) = %d: goal %d is under the floor", c.live, c.scan, c.floor, got, goal)
		}
	}
}

// TestTunerFollowsEveryCollection: the percentage follows the live heap
// after each collection: low while 16 MiB are held against a 64 MiB floor,
// high again once they are garbage.
func TestTunerFollowsEveryCollection(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	tu := Start(64 << 20)
	defer tu.Stop()
	current := func() int {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}
	// collect runs collections until the tuner has seen two more.
	collect := func() {
		seen := tu.Collections()
		for deadline := time.Now().Add(5 * time.Second); tu.Collections() < seen+2 && time.Now().Before(deadline); {
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
		}
		if tu.Collections() < seen+2 {
			t.Fatalf("the tuner saw %d collections after repeated runtime.GC calls", tu.Collections()-seen)
		}
	}
	hold := make([]byte, 16<<20)
	hold[len(hold)-1] = 1
	collect()
	held := current()
	if held < minPercent || held > 300 || held != tu.Percent() {
		t.Errorf("with 16 MiB live the GC percent is %d (tuner set %d); want at most 300 so the goal stays near 64 MiB", held, tu.Percent())
	}
	runtime.KeepAlive(hold)
	hold = nil
	collect()
	if freed := current(); freed < 1000 || freed != tu.Percent() {
		t.Errorf("with 16 MiB freed the GC percent is %d (tuner set %d); want 1,000 or more for a 64 MiB floor", freed, tu.Percent())
	}
}

func TestFromEnv(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		name    string
		getenv  func(string) string
		started bool
		say     string
	}{
		{"GOGC set", env("GOGC", "200"), false, "GOGC is set"},
		{"GOMEMLIMIT set", env("GOMEMLIMIT", "1GiB"), false, "GOMEMLIMIT is set"},
		{"off", env(EnvFloor, "off"), false, "is off"},
		{"zero", env(EnvFloor, "0"), false, "is off"},
		{"default", env(), true, "32 MiB"},
		{"set", env(EnvFloor, "48MiB"), true, "48 MiB"},
	} {
		tu, msg, err := FromEnv(c.getenv)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (tu != nil) != c.started || !strings.Contains(msg, c.say) {
			t.Errorf("%s: tuner %v, %q; want started %v and %q", c.name, tu != nil, msg, c.started, c.say)
		}
		if tu != nil {
			tu.Stop()
		}
	}
	if _, _, err := FromEnv(env(EnvFloor, "lots")); err == nil || !strings.Contains(err.Error(), "32MiB") {
		t.Errorf("a size that is not one: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "off": 0, "1024": 1024, "2KiB": 2048, "32MiB": 32 << 20, "1GiB": 1 << 30, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5GiB", "32mb", "99999999999TiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
