package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/procfs"
	_ "modernc.org/sqlite" // the read-only row counts
)

// tables are counted in every sample, in this order.
var tables = []string{"grants", "refresh_tokens", "auth_codes", "auth_requests", "sessions", "consents", "used_jtis"}

// sample is one row of the table.
type sample struct {
	at      time.Duration
	rssKiB  int64 // -1 when the process is unknown
	dbBytes int64 // the database file and its write-ahead log
	walB    int64
	used    int64   // bytes of the database's pages in use (page_count - freelist_count), -1 if unknown
	rows    []int64 // per table; -1 when a count failed
	counts  map[string]int
	chains  int
}

func (s sample) totalRows() int64 {
	var n int64
	for _, r := range s.rows {
		if r > 0 {
			n += r
		}
	}
	return n
}

func takeSample(srv *server, d *driver, at time.Duration) sample {
	s := sample{at: at, rssKiB: rss(srv.pid), dbBytes: fileSize(srv.dbPath), walB: fileSize(srv.dbPath + "-wal")}
	s.counts, s.chains = d.snapshot()
	s.rows, s.used = countRows(srv.dbPath)
	return s
}

// rss reads VmRSS from /proc/PID/status, in KiB.
func rss(pid int) int64 { return procStatus(pid, "VmRSS") }

// peakRSS reads VmHWM (the most RSS the process ever had), in KiB.
func peakRSS(pid int) int64 { return procStatus(pid, "VmHWM") }

// procStatus reads one kB field of /proc/PID/status, or -1.
func procStatus(pid int, field string) int64 {
	if pid <= 0 {
		return -1
	}
	n, err := procfs.StatusKiB(pid, field)
	if err != nil {
		return -1
	}
	return n
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// countRows counts each table over a read-only connection, so the soak
// never writes to the server's database, and returns the bytes of the pages
// in use: the file itself never shrinks (SQLite reuses freed pages), so
// the data the store holds is what shows whether it stays flat.
func countRows(path string) (rows []int64, used int64) {
	out := make([]int64, len(tables))
	for i := range out {
		out[i] = -1
	}
	used = -1
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return out, used
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, t := range tables {
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&out[i])
	}
	var pages, free, size int64
	if db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages) == nil && db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free) == nil &&
		db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size) == nil {
		used = (pages - free) * size
	}
	return out, used
}

func printHeader() {
	fmt.Printf("\n%6s | %6s %7s %7s %5s %5s | %7s %8s %7s %8s | %6s %7s %5s %6s %6s %6s %6s | %6s\n",
		"min", "ok", "refused", "expired", "thrtl", "unexp", "rss_MiB", "db_KiB", "wal_KiB", "used_KiB",
		"grants", "tokens", "codes", "parked", "sessns", "cnsnts", "jtis", "chains")
}

var previous map[string]int

// printRow prints the answers since the previous row, and the state now.
func printRow(s sample) {
	d := func(k string) int { return s.counts[k] - previous[k] }
	rssMiB := "-"
	if s.rssKiB >= 0 {
		rssMiB = fmt.Sprintf("%.1f", float64(s.rssKiB)/1024)
	}
	fmt.Printf("%6.1f | %6d %7d %7d %5d %5d | %7s %8d %7d %8d |", s.at.Minutes(), d(kindOK), d(kindRefused), d(kindExpired),
		d(kindThrottled), d(kindUnexpected), rssMiB, s.dbBytes/1024, s.walB/1024, s.used/1024)
	widths := []int{6, 7, 5, 6, 6, 6, 6}
	for i, r := range s.rows {
		fmt.Printf(" %*d", widths[i], r)
	}
	fmt.Printf(" | %6d\n", s.chains)
	previous = s.counts
}
