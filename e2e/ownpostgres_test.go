package e2e

import (
	"bufio"
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/procfs"
)

// ownPostgres is a PostgreSQL server of one test's own, made with
// scripts/test-postgres.sh, that the test may stop, start, freeze and thaw:
// the shared server of TOLLGATE_TEST_POSTGRES must never be stopped.
type ownPostgres struct {
	t      *testing.T
	dsn    string // admin DSN
	dir    string // the script's directory; the cluster is in dir/data
	port   string
	bindir string
	frozen []int // processes stopped by freeze
	down   bool  // stopped by stop
}

func startOwnPostgres(t *testing.T) *ownPostgres {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "scripts", "test-postgres.sh"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command("bash", script, "start")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s start: %v\n%s", script, err, errb.String())
	}
	p := &ownPostgres{t: t}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, "'")
		switch k {
		case envTestPostgres:
			p.dsn = v
		case envTestPostgres + "_DIR":
			p.dir = v
		}
	}
	if p.dsn == "" || p.dir == "" {
		t.Fatalf("%s start printed no DSN and directory:\n%s\n%s", script, out.String(), errb.String())
	}
	t.Cleanup(func() {
		p.thaw()
		if out, err := exec.Command("bash", script, "stop", p.dir).CombinedOutput(); err != nil {
			t.Errorf("%s stop: %v\n%s", script, err, out)
		}
	})
	u, err := url.Parse(p.dsn)
	if err != nil {
		t.Fatal(err)
	}
	p.port = u.Port()
	p.bindir = postgresBindir(t)
	return p
}

// postgresBindir finds pg_ctl as the script does.
func postgresBindir(t *testing.T) string {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	if len(dirs) == 0 {
		t.Fatal("no PostgreSQL binaries")
	}
	return dirs[len(dirs)-1]
}

// pgCtl runs pg_ctl on the cluster as the server's user (postgres when we
// are root, as the script does).
func (p *ownPostgres) pgCtl(args ...string) {
	p.t.Helper()
	args = append([]string{filepath.Join(p.bindir, "pg_ctl"), "-D", filepath.Join(p.dir, "data")}, args...)
	if os.Geteuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		p.t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

// stop shuts the server down (fast: open connections are cut) and keeps
// its data and postmaster.opts for start.
func (p *ownPostgres) stop() { p.pgCtl("-w", "-m", "fast", "stop"); p.down = true }

// start starts the stopped server again with the options the script gave
// it, which the server wrote to postmaster.opts as shell-quoted words after
// the program and its -D.
func (p *ownPostgres) start() {
	p.t.Helper()
	raw, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.opts"))
	if err != nil {
		p.t.Fatal(err)
	}
	data := strconv.Quote(filepath.Join(p.dir, "data"))
	_, opts, ok := strings.Cut(strings.TrimSpace(string(raw)), `"-D" `+data)
	if !ok {
		p.t.Fatalf("postmaster.opts has no -D %s: %s", data, raw)
	}
	p.pgCtl("-l", filepath.Join(p.dir, "server.log"), "-w", "-t", "60", "start", "-o", strings.TrimSpace(opts))
	p.down = false
}

// restore undoes freeze and stop, for the cleanups of a test that failed
// while the server was away: they still have a database to drop.
func (p *ownPostgres) restore() {
	p.thaw()
	if p.down {
		p.start()
	}
}

// freeze stops every process of the server with SIGSTOP: the database is
// unreachable without refusing anything (connections are accepted by the
// kernel and never answered; statements never finish), as behind a dead
// network path.
func (p *ownPostgres) freeze() {
	p.t.Helper()
	raw, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		p.t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		p.t.Fatalf("postmaster.pid: %q", first)
	}
	// The postmaster first, and only once it has stopped its children: a
	// backend it forks while we list would otherwise run on and answer
	// (seen in CI: one node kept a connection to such a backend).
	if err := syscall.Kill(pm, syscall.SIGSTOP); err != nil {
		p.t.Fatalf("SIGSTOP postmaster %d: %v", pm, err)
	}
	p.frozen = append(p.frozen, pm)
	for i := 0; i < 100 && processState(pm) != "T"; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if st := processState(pm); st != "T" {
		p.t.Fatalf("postmaster %d is in state %q after SIGSTOP, not stopped", pm, st)
	}
	stopped := map[int]bool{pm: true}
	for {
		fresh := 0
		for _, pid := range childrenOf(pm) {
			if stopped[pid] {
				continue
			}
			stopped[pid] = true
			fresh++
			if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
				p.frozen = append(p.frozen, pid)
			}
		}
		if fresh == 0 {
			return
		}
	}
}

// processState is the state letter of pid ("T" once a SIGSTOP took
// effect), or "" when it cannot be read.
func processState(pid int) string {
	if f, err := procfs.Stat(pid); err == nil && len(f) > 0 {
		return f[0]
	}
	return ""
}

// thaw continues what freeze stopped.
func (p *ownPostgres) thaw() {
	for _, pid := range p.frozen {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	p.frozen = nil
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	parent := strconv.Itoa(pid)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, err := procfs.Stat(child); err == nil && len(f) > 1 && f[1] == parent {
			out = append(out, child)
		}
	}
	return out
}
