package directory

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The bounds of the client snapshot (doc.go).
const (
	// ClientsReloadEvery is how old a snapshot may get: a client created,
	// changed or disabled on another node is in force here within it.
	ClientsReloadEvery = 10 * time.Second
	// ClientsMissEvery spaces the reloads a lookup of an unknown id
	// causes, so a flood of made-up client ids costs one store read a
	// second, not one per request.
	ClientsMissEvery = time.Second
	// reloadTimeout bounds a reload done on a request's path.
	reloadTimeout = 5 * time.Second
)

// ClientSource is what Clients reads from the store.
type ClientSource interface {
	AllClients(ctx context.Context) ([]store.ClientRecord, error)
}

// Clients looks up a client by id among the configuration file's and the
// store's enabled ones. It implements the Client(id) lookup that
// clientauth, authorize, notify and the token endpoint take.
type Clients struct {
	cfg *config.Config
	src ClientSource
	now func() time.Time
	log *slog.Logger

	snap atomic.Pointer[clientSnapshot]
	mu   sync.Mutex // one reload at a time; guards the fields below
	// tried is when the last reload began, successful or not: the miss
	// rate limit and the retry after a failure count from it.
	tried time.Time
}

type clientSnapshot struct {
	at      time.Time // when the store was read
	byID    map[string]*config.Client
	list    []*config.Client // byID's values, in id order
	origins map[string]bool  // the origins of their redirect URIs (CORS)
}

// NewClients returns the lookup over cfg's clients and src's. It holds an
// empty snapshot until the first lookup or Reload reads the store; now and
// log may be nil (time.Now, discard).
func NewClients(cfg *config.Config, src ClientSource, now func() time.Time, log *slog.Logger) *Clients {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Clients{cfg: cfg, src: src, now: now, log: log}
	d.snap.Store(&clientSnapshot{})
	return d
}

// Client returns the client registered with id: the file's, else an
// enabled client of the store. A snapshot older than ClientsReloadEvery is
// reloaded first; an id the snapshot lacks causes a reload at most every
// ClientsMissEvery.
func (d *Clients) Client(id string) (*config.Client, bool) {
	if cl, ok := d.cfg.Client(id); ok {
		return cl, true // the file's: fixed, and the common case
	}
	now := d.now()
	s := d.snap.Load()
	if now.Sub(s.at) >= ClientsReloadEvery || now.Before(s.at) {
		s = d.reload(now, 0)
	}
	if cl, ok := s.byID[id]; ok {
		return cl, true
	}
	s = d.reload(now, ClientsMissEvery)
	cl, ok := s.byID[id]
	return cl, ok
}

// Stored returns the store's enabled clients, as the snapshot holds them
// (no reload): for walks over every client, such as a logout's.
func (d *Clients) Stored() []*config.Client { return d.snap.Load().list }

// AllowsOrigin reports whether origin is the origin of a redirect URI of
// a store client in the snapshot (no reload): CORS for browser apps
// registered at run time.
func (d *Clients) AllowsOrigin(origin string) bool { return d.snap.Load().origins[origin] }

// Reload reads the store now, so a change this node made is in force here
// at once. It returns the store's error; the previous snapshot stays.
func (d *Clients) Reload(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tried = d.now()
	return d.load(ctx, d.tried)
}

// Run reloads the snapshot every half ClientsReloadEvery until ctx ends,
// so a lookup seldom finds it stale and waits for the store.
func (d *Clients) Run(ctx context.Context) {
	t := time.NewTicker(ClientsReloadEvery / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = d.Reload(ctx)
		}
	}
}

// reload reads the store unless a reload began less than `every` ago (0:
// unless the snapshot is fresh again, someone else having reloaded while
// this waited), and returns the snapshot to use.
func (d *Clients) reload(now time.Time, every time.Duration) *clientSnapshot {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.snap.Load()
	switch {
	case every == 0 && now.Sub(s.at) < ClientsReloadEvery && !now.Before(s.at):
		return s // reloaded by another lookup meanwhile
	case now.Sub(d.tried) < max(every, ClientsMissEvery) && !now.Before(d.tried):
		return s // tried too recently (a miss, or a failing store)
	}
	d.tried = now
	ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
	defer cancel()
	_ = d.load(ctx, now)
	return d.snap.Load()
}

// load reads every store client and swaps in the new snapshot. A client
// that no longer passes the configuration's rules (say, a resource it
// names was removed from the file) is left out and logged. Call with mu.
func (d *Clients) load(ctx context.Context, now time.Time) error {
	recs, err := d.src.AllClients(ctx)
	if err != nil {
		d.log.Warn("directory: cannot reload the store's clients; serving the previous snapshot", "err", err)
		return err
	}
	next := &clientSnapshot{at: now, byID: make(map[string]*config.Client, len(recs)), origins: map[string]bool{}}
	for _, r := range recs {
		if r.Disabled {
			continue
		}
		cl, err := Finish(d.cfg, r)
		if err != nil {
			d.log.Warn("directory: a stored client fails the configuration's rules; it is refused until fixed", "client_id", r.ID, "err", err)
			continue
		}
		next.byID[r.ID] = cl
		next.list = append(next.list, cl)
		for _, o := range cl.Origins() {
			next.origins[o] = true
		}
	}
	d.snap.Store(next)
	return nil
}

// Finish makes a stored client record a client as the file's are: its
// settings parsed and checked by the file's rules, with its secret hash.
func Finish(cfg *config.Config, r store.ClientRecord) (*config.Client, error) {
	cl, _, err := config.ParseClient(r.Settings)
	if err != nil {
		return nil, err
	}
	cl.ID, cl.Secret, cl.SecretHash = r.ID, "", r.SecretHash
	if err := cfg.FinishClient(cl); err != nil {
		return nil, err
	}
	return cl, nil
}
