package gctune

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
)

// DefaultFloor is the heap goal Tollgate keeps at least: 32 MiB. With a
// live heap of a megabyte it cuts collections about eightfold against
// GOGC=100; the memory it may take was already resident after start-up,
// when hashing the configured users' passwords with argon2id (19 MiB each
// at a time) grows the heap past it.
const DefaultFloor = 32 << 20

// EnvFloor names the environment variable that sets the floor: a size in
// GOMEMLIMIT's syntax (32MiB, 64MiB, 1GiB, or bytes), or 0 or "off" to
// leave the collector at Go's defaults.
const EnvFloor = "TOLLGATE_GC_HEAP_FLOOR"

// minPercent is Go's default GOGC: the floor never makes the collector run
// more often than it would without it.
const minPercent = 100

// maxPercent bounds the percentage while the live heap is still tiny (right
// after start, before the first collection has measured it).
const maxPercent = 10_000

// runtimeHeapMinimum is the runtime's smallest heap goal at GOGC=100, 4 MiB,
// which it scales with the percentage (heapMinimum in runtime/mgcpacer.go).
// A runtime with another value gives a goal off the floor, never a wrong
// program.
const runtimeHeapMinimum = 4 << 20

// Percent is the smallest GC percentage in [minPercent, maxPercent] whose
// heap goal is at least floor. The runtime's goal (runtime/mgcpacer.go) is
// the larger of live + scan × percent/100, where live is the heap the last
// collection marked and scan what the next one must scan (that heap plus
// goroutine stacks and globals), and runtimeHeapMinimum × percent/100.
func Percent(live, scan, floor uint64) int {
	scan = max(scan, live)
	if live >= floor {
		return minPercent
	}
	p := float64(floor) * 100 / runtimeHeapMinimum // the minimum reaches the floor
	if scan > 0 {
		p = min(p, float64(floor-live)*100/float64(scan)) // the proportional goal does
	}
	switch {
	case p <= minPercent:
		return minPercent
	case p >= maxPercent:
		return maxPercent
	}
	return int(math.Ceil(p))
}

// Tuner re-sets the GC percentage after every collection. Stop it with
// Stop; the percentage it set last stays.
type Tuner struct {
	floor   uint64
	stopped atomic.Bool
	last    atomic.Int64 // the percentage set last
	tuned   atomic.Int64 // collections seen
	sample  []metrics.Sample
}

// Start sets the percentage for floor now, and again after each collection.
func Start(floor uint64) *Tuner {
	t := &Tuner{floor: floor, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"},
	}}
	t.tune()
	t.arm()
	return t
}

// arm registers a cleanup on a new sentinel object: the first collection
// that finds it unreachable runs the cleanup, which tunes and re-arms.
func (t *Tuner) arm() {
	sentinel := new([16]byte) // not tiny-allocated: a cleanup needs its own object
	runtime.AddCleanup(sentinel, func(t *Tuner) {
		if t.stopped.Load() {
			return
		}
		t.tuned.Add(1)
		t.tune()
		t.arm()
	}, t)
}

// tune reads the live heap the last collection marked and sets the
// percentage when it changed by more than a tenth (SetGCPercent takes the
// heap lock; no need to take it for noise).
func (t *Tuner) tune() {
	metrics.Read(t.sample)
	var v [3]uint64 // live heap, stacks, globals
	for i, s := range t.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	p := int64(Percent(v[0], v[0]+v[1]+v[2], t.floor))
	if last := t.last.Load(); last != 0 && p*10 > last*9 && p*10 < last*11 {
		return
	}
	t.last.Store(p)
	debug.SetGCPercent(int(p))
}

// Stop ends the tuning; the runtime keeps the percentage set last.
func (t *Tuner) Stop() { t.stopped.Store(true) }

// Percent returns the percentage the tuner set last.
func (t *Tuner) Percent() int { return int(t.last.Load()) }

// Collections returns how many collections the tuner has seen.
func (t *Tuner) Collections() int64 { return t.tuned.Load() }

// FromEnv starts a tuner as the environment says: not at all when GOGC or
// GOMEMLIMIT is set (the operator chose), or when EnvFloor is 0 or "off";
// with EnvFloor's size when set; with DefaultFloor otherwise. It returns
// the tuner (nil when none) and a line saying what it did, for the log.
func FromEnv(getenv func(string) string) (*Tuner, string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		if getenv(v) != "" {
			return nil, v + " is set: the garbage collector runs as it says", nil
		}
	}
	floor := uint64(DefaultFloor)
	if raw := strings.TrimSpace(getenv(EnvFloor)); raw != "" {
		n, err := ParseSize(raw)
		if err != nil {
			return nil, "", fmt.Errorf("%s=%q: %w", EnvFloor, raw, err)
		}
		if n == 0 {
			return nil, EnvFloor + " is off: the garbage collector runs at Go's defaults", nil
		}
		floor = n
	}
	t := Start(floor)
	return t, fmt.Sprintf("garbage collector heap goal kept at %d MiB or more (%s)", floor>>20, EnvFloor), nil
}

// ParseSize reads a size as GOMEMLIMIT writes it: a whole number of bytes,
// optionally with the suffix B, KiB, MiB, GiB or TiB; "off" is 0.
func ParseSize(s string) (uint64, error) {
	if s == "off" {
		return 0, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a size such as 32MiB, 1GiB or a number of bytes, or off")
	}
	if n > math.MaxUint64>>shift {
		return 0, fmt.Errorf("size too large")
	}
	return n << shift, nil
}
