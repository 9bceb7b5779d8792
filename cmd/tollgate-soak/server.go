package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"
)

// soakConfig is what the driver reads back from the configuration it wrote:
// where the server is, and the secrets and lifetimes the traffic needs.
type soakConfig struct {
	Issuer  string `yaml:"issuer"`
	Storage string `yaml:"storage"`
	Session struct {
		Lifetime time.Duration `yaml:"lifetime"`
	} `yaml:"session"`
	Tokens struct {
		RefreshToken struct {
			IdleLifetime time.Duration `yaml:"idle_lifetime"`
			MaxLifetime  time.Duration `yaml:"max_lifetime"`
			ReuseGrace   time.Duration `yaml:"reuse_grace"`
		} `yaml:"refresh_token"`
	} `yaml:"tokens"`
	Clients []struct {
		ID           string   `yaml:"id"`
		Secret       string   `yaml:"secret"`
		RedirectURIs []string `yaml:"redirect_uris"`
	} `yaml:"clients"`
	Users []soakUser `yaml:"users"`
}

type soakUser struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

const (
	clientWeb   = "soak-web" // browser sign-ins: code flow with PKCE
	clientApp   = "soak-app" // password grants
	soakUsers   = 8
	redirectURI = "https://soak.example/cb" // never fetched: the driver reads the code off the Location header
)

// soakYAML is the server configuration. Lifetimes are short so that, within
// a run, grants, tokens, sessions and codes expire and the server's sweep
// has work to do. Secrets and passwords are in the clear: they exist only
// for this soak, and the driver reads them back from here.
const soakYAML = `# Written by tollgate-soak (docs/soak.md). Secrets here exist for the soak only.
issuer: http://%[1]s
listen: %[1]s
storage: sqlite:%[2]s
system_secret_file: %[3]s
log_level: info
session:
  lifetime: 5m
tokens:
  access_token_lifetime: 1m
  id_token_lifetime: 1m
  refresh_token:
    rotation: one_time
    idle_lifetime: 2m
    max_lifetime: 5m
    reuse_grace: 10s
clients:
  - id: soak-web
    secret: %[4]s
    redirect_uris: [%[6]s]
    grant_types: [authorization_code, refresh_token]
    scopes: [openid, profile, offline_access]
    allow_offline_access: true
  - id: soak-app
    secret: %[5]s
    grant_types: [password, refresh_token]
    scopes: [openid, profile, offline_access]
    allow_offline_access: true
users:
%[7]s`

// writeSoakConfig writes the soak configuration for a server on the
// loopback address listen, with its database and secret beside the file.
func writeSoakConfig(path, listen string) (*soakConfig, error) {
	host, port, err := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() || port == "0" {
		return nil, fmt.Errorf("-listen %q: give a loopback address with a port, such as 127.0.0.1:8089", listen)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(abs)
	var users strings.Builder
	for i := range soakUsers {
		fmt.Fprintf(&users, "  - {username: soak-user-%d, password: %s, subject: soak-subject-%d}\n", i, randomString(), i)
	}
	text := fmt.Sprintf(soakYAML, listen, filepath.Join(dir, "tollgate.db"), filepath.Join(dir, "system.key"),
		randomString(), randomString(), redirectURI, users.String())
	if err := os.WriteFile(abs, []byte(text), 0o600); err != nil {
		return nil, err
	}
	return readSoakConfig(abs)
}

func readSoakConfig(path string) (*soakConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c soakConfig
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("%s: issuer %q: the soak drives plain http on loopback only", path, c.Issuer)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s: issuer %q is not a loopback address", path, c.Issuer)
	}
	if c.secret(clientWeb) == "" || c.secret(clientApp) == "" || len(c.Users) == 0 {
		return nil, fmt.Errorf("%s: not a configuration written by tollgate-soak -write-config", path)
	}
	return &c, nil
}

func (c *soakConfig) secret(client string) string {
	for _, cl := range c.Clients {
		if cl.ID == client {
			return cl.Secret
		}
	}
	return ""
}

// randomString is 32 random bytes, base64url: a client secret or password.
func randomString() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// server is the Tollgate under soak.
type server struct {
	cfg    *soakConfig
	pid    int
	dbPath string
	log    string
	cmd    *exec.Cmd // nil when attached
}

// startServer builds (unless bin is given) and starts tollgate serve with a
// fresh soak configuration in dir.
func startServer(ctx context.Context, bin, dir string) (*server, error) {
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tollgate-soak-"); err != nil {
			return nil, err
		}
	}
	if bin == "" {
		if bin, err = buildTollgate(ctx, dir); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cfgPath := filepath.Join(dir, "tollgate.yaml")
	cfg, err := writeSoakConfig(cfgPath, addr)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, pid: cmd.Process.Pid, dbPath: strings.TrimPrefix(cfg.Storage, "sqlite:"), log: logPath, cmd: cmd}
	if err := s.waitHealthy(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (see %s)", err, logPath)
	}
	return s, nil
}

// attachServer drives a server started by someone else with a
// configuration written by -write-config.
func attachServer(configPath string, pid int) (*server, error) {
	if configPath == "" {
		return nil, errors.New("-attach needs -config, the file the server runs with (see -write-config)")
	}
	cfg, err := readSoakConfig(configPath)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, pid: pid, dbPath: strings.TrimPrefix(cfg.Storage, "sqlite:")}
	return s, s.waitHealthy(context.Background())
}

// buildTollgate builds ./cmd/tollgate of the module this is run in.
func buildTollgate(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from the Tollgate repository (go run ./cmd/tollgate-soak), or give -bin")
	}
	bin := filepath.Join(dir, "tollgate")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tollgate")
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/tollgate: %v\n%s", err, out)
	}
	return bin, nil
}

func (s *server) waitHealthy(ctx context.Context) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if res, err := c.Get(s.cfg.Issuer + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the server at %s did not answer /healthz within 60 s", s.cfg.Issuer)
}

// stop ends a server this tool started: SIGTERM, then SIGKILL after 15 s.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}
