package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the tollgate binary built for this test run; TestMain removes it.
var binDir string

// buildTollgate builds cmd/tollgate once per test run: the kill -9 test and
// the cluster tests all run this one binary.
var buildTollgate = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tollgate-e2e-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "tollgate")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tollgate-oidc/tollgate/cmd/tollgate").CombinedOutput()
	if err != nil {
		return "", &buildError{err: err, out: out}
	}
	return bin, nil
})

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// tollgateBinary returns the path of the real tollgate binary.
func tollgateBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildTollgate()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}
