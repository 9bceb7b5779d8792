package notify_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/notify"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/memstore"
	"github.com/tollgate-oidc/tollgate/internal/testlog"
)

const issuer = "https://login.example.no"

// keySet is one signing key set for the whole package (RSA keys are slow
// to make).
var keySet = sync.OnceValue(func() *keys.Set {
	s, err := keys.Load(context.Background(), memstore.New(), []byte("0123456789abcdef0123456789abcdef"), time.Now())
	if err != nil {
		panic(err)
	}
	return s
})

// received is one request the receiver saw.
type received struct {
	path, contentType, accept string
	body                      string
}

// receiver is an RP's endpoints on loopback: it answers each request with
// the next of its scripted statuses (the last one repeats).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	answers map[string][]int
	bodies  map[int]string
}

func newReceiver(t *testing.T, answers map[string][]int) *receiver {
	r := &receiver{answers: answers, bodies: map[int]string{400: `{"err":"invalid_audience","description":"who?"}`}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Path, req.Header.Get("Content-Type"), req.Header.Get("Accept"), string(b)})
		status := http.StatusNotFound
		if a := r.answers[req.URL.Path]; len(a) > 0 {
			status = a[0]
			if len(a) > 1 {
				r.answers[req.URL.Path] = a[1:]
			}
		}
		r.mu.Unlock()
		if status == http.StatusFound {
			http.Redirect(w, req, "/elsewhere", status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, r.bodies[status])
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.path == path {
			out = append(out, g)
		}
	}
	return out
}

// clock is an injected clock; the injected wait moves it.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return ctx.Err()
}
func (c *clock) waited() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// syncBuffer collects the log lines of the code under test.
type syncBuffer = testlog.Buffer

type fixture struct {
	cfg      *config.Config
	clk      *clock
	logs     *syncBuffer
	n        *notify.Notifier
	outcomes chan notify.Outcome
}

// newFixture configures client "rp" with the receiver's endpoints (edit
// may change it) and a notifier over them.
func newFixture(t *testing.T, rcv *receiver, o notify.Options, edit func(*config.Client)) *fixture {
	t.Helper()
	rp := config.Client{ID: "rp", Type: config.ClientConfidential, AuthMethod: config.AuthSecretBasic,
		Secret: "rp-secret-0123456789abcdefghijklmnopqrstuvw", GrantTypes: []string{"authorization_code", "refresh_token"},
		Scopes: []string{"openid", "offline_access"}, AllowOfflineAccess: true, RedirectURIs: []string{"https://rp.example/cb"},
		SecurityEventPushURI: rcv.URL + "/events", BackchannelLogoutURI: rcv.URL + "/logout"}
	if edit != nil {
		edit(&rp)
	}
	cfg := &config.Config{Issuer: issuer, Clients: []config.Client{rp}}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{cfg: cfg, clk: &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}, logs: &syncBuffer{},
		outcomes: make(chan notify.Outcome, 16)}
	o.Issuer, o.Clients, o.Signers = issuer, cfg, keySet()
	o.Now, o.Wait = f.clk.Now, f.clk.Wait
	o.Log = slog.New(slog.NewTextHandler(f.logs, nil))
	o.Observe = func(out notify.Outcome) { f.outcomes <- out }
	f.n = notify.New(o)
	return f
}

// run starts the workers until the test ends.
func (f *fixture) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// next waits for the next outcome.
func (f *fixture) next(t *testing.T) notify.Outcome {
	t.Helper()
	select {
	case out := <-f.outcomes:
		return out
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery outcome")
		return notify.Outcome{}
	}
}

// revocation is a grant of rp revoked for theft at the clock's time.
func (f *fixture) revocation(sid string) refresh.Revocation {
	return refresh.Revocation{Grant: store.Grant{ID: "grant-1", ClientID: "rp", Subject: "sub-alice", SessionID: sid},
		Signal: refresh.SignalDPoPKeyMismatch, At: f.clk.Now()}
}
