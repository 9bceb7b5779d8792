package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// The clients of the cluster tests: "cluster" for the back channel
// (password grant, refresh, revocation, introspection), "rp" for the
// browser sign-in, whose redirect URI is the test's clientApp.
const (
	clusterClientID = "cluster"
	clusterSecret   = "cluster-secret-0123456789abcdefghijklmnopq"
	clusterRPID     = "rp"
)

// cluster is several real `tollgate serve` processes sharing one store,
// behind one issuer URL: a reverse proxy in the test, as a load balancer
// would be, that sends each request to the node the test chooses.
type cluster struct {
	t      *testing.T
	dir    string
	bin    string
	issuer string // the proxy's URL; every node is configured with it
	secret string // TOLLGATE_SYSTEM_SECRET of every node
	nodes  []*clusterNode
	rp     *clientApp
	client *http.Client
	proxy  *lbProxy
}

// clusterNode is one node: its own loopback address and configuration
// file, which differs from the others' only in `listen`.
type clusterNode struct {
	name   string // A, B, C, ...
	addr   string
	url    string // http://addr: the node itself, bypassing the proxy
	config string
	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed when the current life's process is gone
	lives  int
	up     atomic.Bool // the proxy routes to it
}

// clusterOptions shape a cluster.
type clusterOptions struct {
	nodes      int
	storage    string        // the storage URL every node shares
	reuseGrace time.Duration // tokens.refresh_token.reuse_grace (10m when zero)
	extra      string        // YAML appended to the configuration (storage_options, ...)
}

// newCluster writes the configuration and starts every node at once (so a
// start race on the store's schema and signing keys is part of the test),
// and waits until each answers.
func newCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir(), bin: tollgateBinary(t), secret: secret.Generate(),
		client: &http.Client{Timeout: 30 * time.Second}}
	c.rp = newClientApp(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.issuer = "http://" + l.Addr().String()
	if o.reuseGrace == 0 {
		o.reuseGrace = 10 * time.Minute
	}
	// One password hash, made here: a plain password would be hashed at
	// every start of every node.
	hash, err := secret.HashPassword(alicePW)
	if err != nil {
		t.Fatal(err)
	}
	for i := range o.nodes {
		n := &clusterNode{name: string(rune('A' + i)), addr: freeLoopbackAddr(t)}
		n.url = "http://" + n.addr
		n.config = filepath.Join(c.dir, "node-"+n.name+".yaml")
		if err := os.WriteFile(n.config, []byte(c.configYAML(o, n.addr, hash)), 0o600); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, n)
	}
	c.proxy = newLBProxy(c.nodes, l)
	t.Cleanup(c.shutdown)

	errs := make(chan error, len(c.nodes))
	for _, n := range c.nodes {
		go func() { errs <- c.start(n) }()
	}
	for range c.nodes {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (c *cluster) configYAML(o clusterOptions, listen, passwordHash string) string {
	return fmt.Sprintf(`issuer: %s
listen: %s
storage: %s
log_level: info
tokens:
  refresh_token:
    rotation: one_time
    reuse_grace: %s
clients:
  - id: %s
    secret: %s
    grant_types: [password, refresh_token]
    scopes: [openid, profile, offline_access]
    allow_offline_access: true
  - id: %s
    name: Pasientjournal
    secret: %s
    grant_types: [authorization_code, refresh_token]
    scopes: [openid, profile, offline_access]
    allow_offline_access: true
    require_pkce: true
    redirect_uris: [%s]
users:
  - {username: alice, password_hash: %q, subject: sub-alice, claims: {name: Alice Nordmann}}
%s`, c.issuer, listen, o.storage, o.reuseGrace, clusterClientID, clusterSecret, clusterRPID, secretApp,
		c.rp.callback(), passwordHash, o.extra)
}

// node returns the node with that name.
func (c *cluster) node(name string) *clusterNode {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node %s", name)
	return nil
}

// start runs a new life of node n and waits until it answers /healthz. It
// returns an error rather than failing the test, so nodes can start at once.
func (c *cluster) start(n *clusterNode) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lives++
	logf, err := os.Create(c.logPath(n, n.lives))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.bin, "serve", "--config", n.config)
	cmd.Env = append(os.Environ(), app.EnvSystemSecret+"="+c.secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	n.proc, n.exited = cmd.Process, exited
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("node %s (life %d) exited while starting:\n%s", n.name, n.lives, log)
		default:
		}
		res, err := hc.Get(n.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				n.up.Store(true)
				return nil
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("node %s (life %d) did not answer in 60 s: %v\n%s", n.name, n.lives, err, log)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// kill takes node n out of the proxy's rotation and sends it SIGKILL.
func (c *cluster) kill(n *clusterNode) {
	n.up.Store(false)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil {
		return
	}
	if err := n.proc.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		c.t.Errorf("kill node %s: %v", n.name, err)
	}
	<-n.exited
	n.proc = nil
}

func (c *cluster) logPath(n *clusterNode, life int) string {
	return filepath.Join(c.dir, fmt.Sprintf("node-%s-life-%d.log", n.name, life))
}

// logs returns every life's log of node n.
func (c *cluster) logs(n *clusterNode) string {
	var b strings.Builder
	for life := 1; life <= n.lives; life++ {
		raw, _ := os.ReadFile(c.logPath(n, life))
		b.Write(raw)
	}
	return b.String()
}

// shutdown kills every node and the proxy, and holds the cluster to what
// every test expects: no node panicked, and no answer through the proxy was
// a 500 (nothing a client sends may produce one; a store that is down is
// 503).
func (c *cluster) shutdown() {
	for _, n := range c.nodes {
		c.kill(n)
	}
	c.proxy.close()
	for _, n := range c.nodes {
		if log := c.logs(n); strings.Contains(log, "panic") {
			c.t.Errorf("node %s logged a panic:\n%s", n.name, log)
		}
	}
	if n := c.proxy.serverErrors.Load(); n > 0 {
		c.t.Errorf("%d answers through the load balancer were 5xx other than 503 (last: %s)", n, c.proxy.lastServerError.Load())
	}
}

// route makes the proxy send each request to the node f names ("" for
// round robin); nil restores round robin for every request.
func (c *cluster) route(f func(*http.Request) string) {
	if f == nil {
		c.proxy.route.Store(nil)
		return
	}
	c.proxy.route.Store(&f)
}
