package procfs

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStatOfThisProcess(t *testing.T) {
	f, err := Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(f) < 13 || f[1] != strconv.Itoa(os.Getppid()) {
		t.Fatalf("fields %q: want the parent %d second and at least 13 fields", f, os.Getppid())
	}
	if _, err := strconv.ParseInt(f[11], 10, 64); err != nil {
		t.Errorf("utime %q: %v", f[11], err)
	}
}

// oddChild starts sleep under the command name "a (b) c", killed when
// the test ends.
func oddChild(t *testing.T) *exec.Cmd {
	t.Helper()
	odd := t.TempDir() + "/a (b) c"
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestStatOfAStoppedChild: a command name with spaces and parentheses does
// not shift the fields, and a SIGSTOP shows as state "T".
func TestStatOfAStoppedChild(t *testing.T) {
	cmd := oddChild(t)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var f []string
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if f, err = Stat(cmd.Process.Pid); err == nil && f[0] == "T" {
			break
		}
	}
	if len(f) < 2 || f[0] != "T" || f[1] != strconv.Itoa(os.Getpid()) {
		t.Fatalf("stopped child's fields %q: want state T and parent %d", f, os.Getpid())
	}
}

func TestStatusKiB(t *testing.T) {
	rss, err := StatusKiB(os.Getpid(), "VmRSS")
	if err != nil || rss <= 0 {
		t.Fatalf("VmRSS: %d, %v", rss, err)
	}
	if hwm, err := StatusKiB(os.Getpid(), "VmHWM"); err != nil || hwm < rss {
		t.Errorf("VmHWM %d, %v: want at least VmRSS %d", hwm, err, rss)
	}
	if _, err := StatusKiB(os.Getpid(), "NoSuchField"); err == nil {
		t.Error("a field that is not there was read")
	}
	if _, err := StatusKiB(-1, "VmRSS"); err == nil {
		t.Error("a process that does not exist was read")
	}
}

// TestStatusKiBs: the parts of VmRSS, read at one instant, add up to it
// (proc(5): VmRSS = RssAnon + RssFile + RssShmem), in the order asked.
func TestStatusKiBs(t *testing.T) {
	v, err := StatusKiBs(os.Getpid(), "RssShmem", "VmRSS", "RssAnon", "RssFile")
	if err != nil {
		t.Fatal(err)
	}
	if v[1] <= 0 || v[2] <= 0 || v[1] != v[0]+v[2]+v[3] {
		t.Errorf("VmRSS %d kB, RssAnon %d + RssFile %d + RssShmem %d", v[1], v[2], v[3], v[0])
	}
	if _, err := StatusKiBs(os.Getpid(), "VmRSS", "NoSuchField"); err == nil {
		t.Error("a missing field is not an error")
	}
}

// TestNamed: a child by its command name (spaces and parentheses in it),
// and this process by its own, each without the other.
func TestNamed(t *testing.T) {
	cmd := oddChild(t)
	self, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"a (b) c": cmd.Process.Pid, strings.TrimSpace(string(self)): os.Getpid()} {
		other := cmd.Process.Pid + os.Getpid() - want
		var pids []int
		// The child's name is its own once it has exec'd.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if pids, err = Named(name); err != nil || slices.Contains(pids, want) {
				break
			}
		}
		if err != nil || !slices.Contains(pids, want) || slices.Contains(pids, other) {
			t.Errorf("Named(%q) = %v, %v; want %d and not %d", name, pids, err, want, other)
		}
	}
}
