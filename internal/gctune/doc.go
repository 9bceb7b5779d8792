// Package gctune keeps Go's garbage collector from running far more often
// than a server with a small, flat live heap needs.
//
// Tollgate's live heap is about a megabyte: clients, keys, a few caches. A
// refresh grant allocates tens of kilobytes, all of it garbage by the time
// the response is written. With Go's default GOGC=100 the heap goal is
// twice the live heap, a few megabytes, so under load the collector runs
// fifty times a second, each cycle with two stop-the-world pauses and
// write barriers on every goroutine (gctrace on the bench server: "3->3->1
// MB, 4 MB goal", every 20 ms). That is CPU taken from the requests and
// milliseconds added to the tail of their latency.
//
// The remedy is a floor under the heap goal, not a higher GOGC: after every
// collection, Percent picks the GC percentage whose goal is at least floor
// bytes, and never less than 100. A heap far below the floor collects when
// it reaches the floor; a heap above half the floor behaves exactly as with
// Go's default. Unlike GOMEMLIMIT, a floor can never make the collector
// thrash: if the live heap grows, the percentage falls back to 100, and the
// heap goal is what it would have been without this package.
//
// An operator who sets GOGC or GOMEMLIMIT has made this choice already;
// FromEnv then leaves the runtime alone.
package gctune
