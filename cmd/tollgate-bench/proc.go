package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/procfs"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux the tool runs on (sysconf would need cgo).
const clockTicks = 100

// cpuTicks returns utime+stime of pid (proc(5): fields 14 and 15 of
// /proc/PID/stat).
func cpuTicks(pid int) (int64, error) {
	f, err := procfs.Stat(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// f[0] is field 3 (state): utime is field 14, stime 15.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime/stime do not parse", pid)
	}
	return u + s, nil
}

// cpuMark measures the CPU of a set of processes from a mark on (the end
// of the warm-up), summed: one process (-pid, the tool itself), or every
// process of a command name (-cpu-of: a database server's backends and
// helpers), where one that started after the mark counts whole and one
// that ended before the reading is missed (pooled connections keep
// theirs).
type cpuMark struct {
	pids   func() []int
	mu     sync.Mutex
	ticks0 map[int]int64
	t0     time.Time
}

// pidCPU measures one process.
func pidCPU(pid int) *cpuMark { return &cpuMark{pids: func() []int { return []int{pid} }} }

// namedCPU measures every process named name.
func namedCPU(name string) *cpuMark {
	return &cpuMark{pids: func() []int {
		pids, _ := procfs.Named(name)
		return pids
	}}
}

// ticks reads utime+stime of each process of the set that /proc tells.
func (m *cpuMark) ticks() map[int]int64 {
	pids := m.pids()
	t := make(map[int]int64, len(pids))
	for _, pid := range pids {
		if n, err := cpuTicks(pid); err == nil {
			t[pid] = n
		}
	}
	return t
}

// mark starts the measurement; it runs on a timer's goroutine.
func (m *cpuMark) mark() {
	t := m.ticks()
	m.mu.Lock()
	m.ticks0, m.t0 = t, time.Now()
	m.mu.Unlock()
}

// percent is the set's CPU since the mark (100 = one core), 0 when there
// was no mark.
func (m *cpuMark) percent() float64 {
	t := m.ticks()
	m.mu.Lock()
	defer m.mu.Unlock()
	el := time.Since(m.t0)
	if m.t0.IsZero() || el <= 0 {
		return 0
	}
	var sum int64
	for pid, n := range t {
		sum += n - m.ticks0[pid]
	}
	return float64(sum) / clockTicks / el.Seconds() * 100
}

// watcher samples a server process during one run: its CPU time in the
// measured window, and its RSS every 200 ms.
type watcher struct {
	pid      int
	cpu      *cpuMark
	mu       sync.Mutex
	peak     [4]int64 // rssFields at the sample with the largest VmRSS
	stop     chan struct{}
	finished chan struct{}
}

// rssFields are sampled together: VmRSS, and its parts (proc(5)), which
// tell a peak of the Go heap or SQLite's memory (anonymous) from mapped
// files and shared memory (the WAL index).
var rssFields = []string{"VmRSS", "RssAnon", "RssFile", "RssShmem"}

func watch(pid int) (*watcher, error) {
	w := &watcher{pid: pid, cpu: pidCPU(pid), stop: make(chan struct{}), finished: make(chan struct{})}
	if _, err := procfs.StatusKiBs(pid, rssFields...); err != nil {
		return nil, fmt.Errorf("-pid %d: %w", pid, err)
	}
	go func() {
		defer close(w.finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			if kib, err := procfs.StatusKiBs(pid, rssFields...); err == nil {
				w.mu.Lock()
				if kib[0] > w.peak[0] {
					copy(w.peak[:], kib)
				}
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w, nil
}

// done stops sampling and fills the server's figures into r.
func (w *watcher) done(r *result) {
	r.CPUPercent = w.cpu.percent()
	close(w.stop)
	<-w.finished
	w.mu.Lock()
	r.PeakRSSMiB, r.PeakAnonMiB, r.PeakFileMiB, r.PeakShmemMiB = mib(w.peak[0]), mib(w.peak[1]), mib(w.peak[2]), mib(w.peak[3])
	w.mu.Unlock()
	if kib, err := procfs.StatusKiB(w.pid, "VmHWM"); err == nil {
		r.HWMMiB = mib(kib)
	}
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// load1 is the one-minute load average, written next to every figure: the
// machine may not be idle.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
