package procfs

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Stat returns the fields of /proc/PID/stat after the command name, so
// that Stat(pid)[0] is field 3 of proc(5) (the state: "R", "S", "T" once a
// SIGSTOP took effect), [1] the parent's pid, [11] and [12] utime and stime
// in clock ticks. The command name is in parentheses and may hold spaces
// and parentheses, so the fields start after the last ')'.
func Stat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// StatusKiB returns a field of /proc/PID/status given in kB (VmRSS, VmHWM),
// in KiB.
func StatusKiB(pid int, field string) (int64, error) {
	v, err := StatusKiBs(pid, field)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// StatusKiBs returns fields of /proc/PID/status given in kB, in KiB, in
// the order asked, from one read of the file: VmRSS and its parts RssAnon,
// RssFile and RssShmem are then of one instant.
func StatusKiBs(pid int, fields ...string) ([]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(fields))
	seen := make([]bool, len(fields))
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		i := slices.Index(fields, k)
		if !ok || i < 0 {
			continue
		}
		num, _ := strings.CutSuffix(strings.TrimSpace(v), " kB")
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/status: %s: %q is not a size in kB", pid, k, strings.TrimSpace(v))
		}
		out[i], seen[i] = n, true
	}
	if i := slices.Index(seen, false); i >= 0 {
		return nil, fmt.Errorf("/proc/%d/status has no %s", pid, fields[i])
	}
	return out, nil
}

// Named returns the processes whose command name (/proc/PID/comm: the
// executable's name, cut to 15 bytes) is name, such as every backend
// and helper of a PostgreSQL server ("postgres"). A process that ends
// while the directory is read is left out.
func Named(name string) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err == nil && strings.TrimSuffix(string(b), "\n") == name {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}
