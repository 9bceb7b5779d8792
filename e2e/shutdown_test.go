package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinaryLogsStartAndGracefulShutdown runs the built binary with
// log_format json: the start line names the version, the listen address,
// the store and how many clients and users it serves; SIGTERM stops it
// with a line saying every request in flight finished, and exit code 0.
func TestBinaryLogsStartAndGracefulShutdown(t *testing.T) {
	bin := tollgateBinary(t)
	dir := t.TempDir()
	addr := freeLoopbackAddr(t)
	cfg := fmt.Sprintf(`issuer: http://%s
listen: %s
storage: sqlite:%s
system_secret_file: %s
log_level: info
log_format: json
http:
  shutdown_timeout: 5s
clients:
  - id: svc
    secret: svc-secret-0123456789abcdefghijklmnopqrstuv
    grant_types: [client_credentials]
    scopes: [api]
`, addr, addr, filepath.Join(dir, "tollgate.db"), filepath.Join(dir, "system.key"))
	path := filepath.Join(dir, "tollgate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := client.Get("http://" + addr + "/connect/token")
		if err == nil {
			res.Body.Close()
			if res.Header.Get("X-Request-Id") == "" {
				t.Fatal("the binary's answer has no X-Request-Id")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM: %v (want exit code 0)\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM\n%s", out.String())
	}
	var start, stopped map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log_format json wrote a line that is not JSON: %q", line)
		}
		switch m["msg"] {
		case "tollgate is serving":
			start = m
		case "stopped: every request in flight finished":
			stopped = m
		}
	}
	if start == nil || stopped == nil {
		t.Fatalf("want the start and the shutdown lines:\n%s", out.String())
	}
	for k, want := range map[string]any{"listen": addr, "store": "sqlite", "clients": float64(1), "users": float64(0)} {
		if start[k] != want {
			t.Errorf("start line %s = %v, want %v", k, start[k], want)
		}
	}
	if v, _ := start["version"].(string); v == "" {
		t.Errorf("start line has no version: %v", start)
	}
}
