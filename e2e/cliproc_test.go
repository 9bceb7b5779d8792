package e2e

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cliRun is one finished run of the tollgate binary.
type cliRun struct {
	code           int
	stdout, stderr string
}

// runTollgate runs the built binary with args (and stdin, if not empty) and
// returns its exit status and output.
func runTollgate(t *testing.T, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(tollgateBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("tollgate %v: %v", args, err)
	}
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// serverProc is `tollgate serve` running as a process of its own.
type serverProc struct {
	cmd    *exec.Cmd
	output *syncBuffer // standard output and standard error together
	done   chan error
}

// startTollgate runs `tollgate serve --config path` and waits until issuer
// answers /healthz.
func startTollgate(t *testing.T, path, issuer string) *serverProc {
	t.Helper()
	p := &serverProc{output: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(tollgateBinary(t), "serve", "--config", path)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(issuer + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("tollgate serve exited before it answered: %v\n%s", err, p.output)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("tollgate serve did not answer in 60 s: %v\n%s", err, p.output)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig and returns the exit status.
func (p *serverProc) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("tollgate serve did not exit within 30 s of %v\n%s", sig, p.output)
		return -1
	}
}

// copyExample copies files of examples/ into a fresh folder, byte for byte,
// so that a run's database lands there and not in the checkout.
func copyExample(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "examples", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
