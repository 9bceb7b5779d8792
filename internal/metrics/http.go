package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// statusClasses are the status label values, by the status's first digit.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// UnmatchedRoute is the route label of a request no route pattern matched
// (a 404, or one refused before routing, as an oversized body is).
const UnmatchedRoute = "unmatched"

// routes is tollgate_http_request_duration_seconds, with its observers
// resolved once per route pattern and kept: the patterns are the mux's, a
// closed set, so the map stops growing after the first request of each.
type routes struct {
	vec  *prometheus.HistogramVec
	mu   sync.RWMutex
	byRt map[string]*[len(statusClasses)]prometheus.Observer
	pool sync.Pool // *statusWriter
}

func newRoutes() *routes {
	return &routes{
		vec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tollgate_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests on the main listener, by route pattern and status class.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
		byRt: map[string]*[len(statusClasses)]prometheus.Observer{},
		pool: sync.Pool{New: func() any { return new(statusWriter) }},
	}
}

func (rs *routes) observer(route string, status int) prometheus.Observer {
	class := status/100 - 1
	if class < 0 || class >= len(statusClasses) {
		class = 4 // not an HTTP status: count it with the failures
	}
	rs.mu.RLock()
	obs, ok := rs.byRt[route]
	rs.mu.RUnlock()
	if !ok {
		rs.mu.Lock()
		if obs, ok = rs.byRt[route]; !ok {
			obs = new([len(statusClasses)]prometheus.Observer)
			for i, c := range statusClasses {
				obs[i] = rs.vec.WithLabelValues(route, c)
			}
			rs.byRt[route] = obs
		}
		rs.mu.Unlock()
	}
	return obs[class]
}

// Instrument times every request h answers, labelled by the pattern of
// the route that served it (http.Request.Pattern, which a ServeMux inside
// h sets on the request it was handed), never by the raw path: a client
// choosing paths cannot add series.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	rs := m.requests
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := rs.pool.Get().(*statusWriter)
		sw.ResponseWriter, sw.status = w, 0
		returned := false
		defer func() {
			status := sw.status
			switch {
			case !returned:
				status = http.StatusInternalServerError // a panic on its way up: net/http drops the connection
			case status == 0:
				status = http.StatusOK // nothing written: net/http answers 200
			}
			sw.ResponseWriter = nil
			rs.pool.Put(sw)
			route := r.Pattern
			if route == "" {
				route = UnmatchedRoute
			}
			rs.observer(route, status).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(sw, r)
		returned = true
	})
}

// statusWriter records the status a handler sent. Unwrap lets
// http.ResponseController reach the connection's own writer (flush,
// deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
