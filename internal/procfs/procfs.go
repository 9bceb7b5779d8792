package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
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
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		num, _ := strings.CutSuffix(strings.TrimSpace(v), " kB")
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status: %s: %q is not a size in kB", pid, field, v)
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}
