// Package metrics holds Tollgate's Prometheus metrics: one registry of its
// own (never the global one), the Go runtime and process collectors, and
// the counters the policy packages feed through their observer seams
// (grant.Observer, refresh.Observer, notify Options.Observe), so that
// grant, refresh and notify import no metrics library.
//
// It also holds the edge instruments: request latency per route pattern
// (Instrument), store round-trip latency (Store, a wrapper around the
// store contract), and the live-grants gauge, counted on scrape and cached.
//
// Label values come from closed sets: grant types, outcomes, revocation
// sources, route patterns the mux registered, store operations, and client
// ids from the configuration (anything else is "other"), so no request can
// add a series. Names follow https://prometheus.io/docs/practices/naming/.
//
// The registry is served by internal/admin on the admin listener.
package metrics
