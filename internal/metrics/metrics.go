package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// OtherClient is the client label of a client id not in the configuration.
const OtherClient = "other"

// Counter is what the live-grants gauge asks the store (store.Store has it).
type Counter interface {
	CountLiveGrants(ctx context.Context, now time.Time) (int, error)
}

// Options configure New.
type Options struct {
	// Clients are the configured client ids: the only client label values.
	Clients []string
	// Grants counts the live grants on scrape; nil leaves the gauge out.
	Grants Counter
	// Batches counts the store's group-committed batches; nil leaves
	// their metrics out.
	Batches store.Batcher
	// Retries counts the statements the store retried; nil leaves
	// tollgate_store_retries_total out.
	Retries store.Retrier
	// GrantsTTL is how long a count is reused (DefaultGrantsTTL when 0):
	// a storm of scrapes costs the store one count per TTL.
	GrantsTTL time.Duration
	Now       func() time.Time // time.Now when nil
	Log       *slog.Logger     // discard when nil
}

// DefaultGrantsTTL is how long a live-grants count is reused.
const DefaultGrantsTTL = 30 * time.Second

// grantTypes are the grant_type label values (grant.Exchange knows no other).
var grantTypes = [...]string{grant.TypeAuthorizationCode, grant.TypePassword, grant.TypeClientCredentials, grant.TypeRefreshToken}

// clientSeries are one client's counters, resolved once (WithLabelValues
// at start), so the hot path is a map read and an atomic add.
type clientSeries struct {
	issued  [len(grantTypes)]prometheus.Counter
	refresh [refresh.NumOutcomes]prometheus.Counter
}

// Metrics is the registry and every instrument on it.
type Metrics struct {
	reg      *prometheus.Registry
	log      *slog.Logger
	clients  map[string]*clientSeries // configured ids, plus OtherClient
	revoked  *prometheus.CounterVec
	notified *prometheus.CounterVec
	requests *routes
	store    *storeTimes
}

var (
	_ grant.Observer   = (*Metrics)(nil)
	_ refresh.Observer = (*Metrics)(nil)
)

// New builds the registry with the Go runtime and process collectors and
// Tollgate's own metrics.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.GrantsTTL <= 0 {
		o.GrantsTTL = DefaultGrantsTTL
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	issued := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tollgate_tokens_issued_total",
		Help: "Token responses sent, by grant type and client.",
	}, []string{"grant_type", "client"})
	refreshed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tollgate_refresh_total",
		Help: "Refresh-token grant requests, by outcome (ok, retried, expired_idle, expired_max, reused, stolen, revoked, wrong_client, user_disabled, client_not_allowed, unknown, dpop_key, refused, error) and client.",
	}, []string{"outcome", "client"})
	m := &Metrics{
		reg: reg,
		log: o.Log,
		revoked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_revocations_total",
			Help: "Grants revoked, by source (client, operator, logout, reuse, theft, code_reuse).",
		}, []string{"source"}),
		notified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tollgate_notify_deliveries_total",
			Help: "Security event and back-channel logout messages, by kind and how their delivery ended.",
		}, []string{"kind", "result"}),
		requests: newRoutes(),
		store:    newStoreTimes(),
	}
	reg.MustRegister(issued, refreshed, m.revoked, m.notified, m.requests.vec, m.store.vec)
	m.clients = make(map[string]*clientSeries, len(o.Clients)+1)
	for _, id := range append(append([]string(nil), o.Clients...), OtherClient) {
		cs := &clientSeries{}
		for i, gt := range grantTypes {
			cs.issued[i] = issued.WithLabelValues(gt, id)
		}
		for i := range cs.refresh {
			cs.refresh[i] = refreshed.WithLabelValues(refresh.Outcome(i).String(), id)
		}
		m.clients[id] = cs
	}
	for _, src := range []string{refresh.ByClient, refresh.ByOperator, refresh.ByLogout, refresh.ByReuse, refresh.ByTheft, refresh.ByCodeReuse, refresh.ByUser} {
		m.revoked.WithLabelValues(src) // present at 0 from the start
	}
	if o.Grants != nil {
		reg.MustRegister(newLiveGrants(o.Grants, o.GrantsTTL, o.Now, o.Log))
	}
	if o.Batches != nil {
		reg.MustRegister(newBatchStats(o.Batches))
	}
	if o.Retries != nil {
		r := o.Retries
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tollgate_store_retries_total",
			Help: "Statements and transactions the store retried because its database asked (serialization failure, deadlock)."},
			func() float64 { return float64(r.Retries()) }))
	}
	return m
}

// Registry is the registry, for tests and for the admin API's own metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format. A collector
// that fails (the store, for the live-grants gauge) leaves its metric out;
// the rest is still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	})
}

func (m *Metrics) client(id string) *clientSeries {
	if cs, ok := m.clients[id]; ok {
		return cs
	}
	return m.clients[OtherClient]
}

// TokenIssued implements grant.Observer.
func (m *Metrics) TokenIssued(grantType, clientID string) {
	for i, gt := range grantTypes {
		if gt == grantType {
			m.client(clientID).issued[i].Inc()
			return
		}
	}
}

// RefreshOutcome implements grant.Observer.
func (m *Metrics) RefreshOutcome(clientID string, o refresh.Outcome) {
	if o < refresh.NumOutcomes {
		m.client(clientID).refresh[o].Inc()
	}
}

// GrantsRevoked implements refresh.Observer.
func (m *Metrics) GrantsRevoked(source string, n int) {
	m.revoked.WithLabelValues(source).Add(float64(n))
}
