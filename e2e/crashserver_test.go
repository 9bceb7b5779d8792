package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the read-only look at the database after the last kill

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// crashServer is the real tollgate binary, started and killed by the test.
type crashServer struct {
	t      *testing.T
	dir    string
	bin    string
	config string
	issuer string
	client *http.Client
	mu     sync.Mutex
	proc   *os.Process
	lives  int
}

const (
	crashClientID = "crash"
	crashSecret   = "crash-secret-0123456789abcdefghijklmnopqrstu"
)

func newCrashServer(t *testing.T) *crashServer {
	t.Helper()
	dir := t.TempDir()
	s := &crashServer{t: t, dir: dir, bin: filepath.Join(dir, "tollgate"), config: filepath.Join(dir, "tollgate.yaml"),
		issuer: "http://" + freeLoopbackAddr(t),
		client: &http.Client{Timeout: 20 * time.Second}}
	build := exec.Command("go", "build", "-o", s.bin, "github.com/tollgate-oidc/tollgate/cmd/tollgate")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// One user, hashed once here: a plain password would be hashed again
	// at every start. Each password grant makes a grant of its own.
	// reuse_grace is long enough that the retries of the final check fall
	// within it however slowly a loaded machine runs the test.
	hash, err := secret.HashPassword(alicePW)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`issuer: %s
listen: %s
storage: sqlite:%s
system_secret_file: %s
log_level: info
tokens:
  refresh_token:
    rotation: one_time
    reuse_grace: 10m
clients:
  - id: %s
    secret: %s
    grant_types: [password, refresh_token]
    scopes: [openid, offline_access]
    allow_offline_access: true
users:
  - {username: alice, password_hash: %q, subject: sub-alice}
`, s.issuer, strings.TrimPrefix(s.issuer, "http://"), filepath.Join(dir, "tollgate.db"), filepath.Join(dir, "system.key"),
		crashClientID, crashSecret, hash)
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.proc != nil {
			_ = s.proc.Kill()
			_, _ = s.proc.Wait()
		}
	})
	return s
}

// start runs one life of the server and waits until it answers.
func (s *crashServer) start() {
	t := s.t
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lives++
	logf, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("life-%d.log", s.lives)))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(s.bin, "serve", "--config", s.config)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.proc = cmd.Process
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := s.client.Get(s.issuer + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("life %d did not come up in 60 s: %v\n%s", s.lives, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *crashServer) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.proc.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill: %v", err)
	}
	_, _ = s.proc.Wait()
	s.proc = nil
}

// signIn makes chain i with a password grant asking for offline_access.
func (s *crashServer) signIn(i int) *crashChain {
	for attempt := 0; ; attempt++ {
		r := s.token(url.Values{"grant_type": {"password"}, "username": {"alice"},
			"password": {alicePW}, "scope": {"openid offline_access"}})
		switch {
		case r.status == http.StatusOK && r.token != "":
			return &crashChain{cur: r.token}
		case (r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable) && attempt < 50:
			time.Sleep(100 * time.Millisecond) // password checks are bounded; wait for a slot
		default:
			s.t.Errorf("password grant for chain %d: %d %s %v", i, r.status, r.body, r.err)
			return nil
		}
	}
}

type crashAnswer struct {
	status int
	token  string
	body   string
	err    error
}

func (s *crashServer) refresh(tok string) crashAnswer {
	return s.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}})
}

func (s *crashServer) token(form url.Values) crashAnswer {
	req, _ := http.NewRequest(http.MethodPost, s.issuer+"/connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(crashClientID, crashSecret)
	res, err := s.client.Do(req)
	if err != nil {
		return crashAnswer{err: err}
	}
	defer res.Body.Close()
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return crashAnswer{err: err} // the answer was cut off: no answer
	}
	_ = json.Unmarshal(raw, &body)
	return crashAnswer{status: res.StatusCode, token: body.RefreshToken, body: string(raw)}
}

// checkStore opens the database read-only after the final kill. live maps
// the hash of the token each chain holds to the chain. It returns the number
// of rotations the store committed.
func (s *crashServer) checkStore(live map[string]int) int {
	t := s.t
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "tollgate.db")+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	count := func(q string) int {
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM grants`); n != crashChains {
		t.Errorf("%d grants, want %d (one per chain)", n, crashChains)
	}
	if n := count(`SELECT COUNT(*) FROM grants WHERE revoked_at IS NOT NULL`); n != 0 {
		t.Errorf("%d grants revoked: reuse detection fired on a retry", n)
	}
	if n := count(`SELECT COUNT(*) FROM (SELECT t.grant_id FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id
		WHERE g.revoked_at IS NULL AND t.consumed_at IS NULL GROUP BY t.grant_id HAVING COUNT(*) > 1)`); n != 0 {
		t.Errorf("%d grants have two or more live refresh tokens", n)
	}
	rows, err := db.QueryContext(ctx, `SELECT t.hash FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id
		WHERE g.revoked_at IS NULL AND t.consumed_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		if _, ok := live[h]; !ok {
			t.Errorf("a live refresh token in the store is not the one its client holds")
		}
		seen++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(live) {
		t.Errorf("%d live refresh tokens in the store, the clients hold %d", seen, len(live))
	}
	// A grant keeps only its two newest tokens; each rotation adds one to
	// the generation, from 0, so the newest generation of a grant is how
	// many rotations it had.
	return count(`SELECT COALESCE(SUM(newest), 0) FROM (SELECT MAX(generation) AS newest FROM refresh_tokens GROUP BY grant_id)`)
}

// checkLogs: no life logged reuse detection, a revocation or a panic. It
// returns how many grace-window retries the server logged (event
// refresh_token_retry), over all lives.
func (s *crashServer) checkLogs() int {
	retries := 0
	for i := 1; i <= s.lives; i++ {
		log, err := os.ReadFile(filepath.Join(s.dir, fmt.Sprintf("life-%d.log", i)))
		if err != nil {
			s.t.Fatal(err)
		}
		for _, bad := range []string{"event=refresh_token_reuse", "event=grant_revoked", "panic"} {
			if strings.Contains(string(log), bad) {
				s.t.Errorf("life %d logged %q:\n%s", i, bad, log)
			}
		}
		retries += strings.Count(string(log), "event=refresh_token_retry")
	}
	return retries
}

// freeLoopbackAddr returns a loopback address no one listens on now; every
// life of the server listens there.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
