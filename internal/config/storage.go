package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// StorageOptions tune the PostgreSQL store (storage: postgres://...). They
// mean nothing to the embedded SQLite store, so giving them with a sqlite
// storage is an error rather than a silent no-op.
//
// Pool size and the two timeouts may instead be given as parameters of the
// storage URL (pool_max_conns, connect_timeout in seconds, statement_timeout
// in milliseconds or with a PostgreSQL unit), as pgx and libpq read them;
// Finish copies them here, so the effective values are always these fields.
// A setting given in both places is an error: one of them would be ignored.
type StorageOptions struct {
	// MaxConns is the size of each node's connection pool (default 10).
	MaxConns int32 `yaml:"max_conns"`
	// StatementTimeout bounds every statement (default 5s): a request that
	// meets a stalled database answers 503 within it instead of hanging.
	StatementTimeout time.Duration `yaml:"statement_timeout"`
	// ConnectTimeout bounds opening one connection (default 5s).
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// PasswordFile holds the database password (one line), so that it need
	// not sit in the storage URL. TOLLGATE_STORAGE_PASSWORD overrides it. A
	// relative path is relative to the configuration file's folder.
	PasswordFile string `yaml:"password_file"`
}

// Defaults of storage_options (PostgreSQL only).
const (
	DefaultStorageMaxConns         = 10
	DefaultStorageStatementTimeout = 5 * time.Second
	DefaultStorageConnectTimeout   = 5 * time.Second
	// MaxStorageConns bounds max_conns: PostgreSQL's own default
	// max_connections is 100 for every node together.
	MaxStorageConns = 1000
)

// DefaultStorageOptions returns the storage_options a postgres storage
// gets for every key left out.
func DefaultStorageOptions() StorageOptions {
	return StorageOptions{
		MaxConns:         DefaultStorageMaxConns,
		StatementTimeout: DefaultStorageStatementTimeout,
		ConnectTimeout:   DefaultStorageConnectTimeout,
	}
}

// IsPostgres reports whether a storage string names the PostgreSQL store.
func IsPostgres(storage string) bool {
	return strings.HasPrefix(storage, "postgres://") || strings.HasPrefix(storage, "postgresql://")
}

// dsnSetting is a storage_options key that the storage URL may also carry.
type dsnSetting struct {
	key, param string
	given      bool // the key was in storage_options
	parse      func(string) bool
}

// checkStorageOptions validates storage_options against the storage URL
// and fills in the settings the URL carries. given says whether the file
// (or the code) set storage_options at all; explicit holds the keys set.
func (c *Config) checkStorageOptions(ck *checker, given bool, explicit map[string]bool) {
	o := &c.StorageOptions
	if !IsPostgres(c.Storage) {
		if given {
			ck.add("storage_options", "applies only to a postgres:// storage; the embedded SQLite store has no pool, timeouts or password (remove storage_options, or set storage to postgres://...)")
		}
		return
	}
	u, err := url.Parse(c.Storage)
	if err != nil || u.Host == "" {
		return // checkStorage reported it
	}
	q := u.Query()
	settings := []dsnSetting{
		{key: "max_conns", param: "pool_max_conns", given: explicit["max_conns"], parse: func(v string) bool {
			n, err := strconv.ParseInt(v, 10, 32)
			o.MaxConns = int32(n)
			return err == nil
		}},
		{key: "connect_timeout", param: "connect_timeout", given: explicit["connect_timeout"], parse: func(v string) bool {
			// libpq: whole seconds.
			n, err := strconv.ParseInt(v, 10, 32)
			o.ConnectTimeout = time.Duration(n) * time.Second
			return err == nil
		}},
		{key: "statement_timeout", param: "statement_timeout", given: explicit["statement_timeout"], parse: func(v string) bool {
			d, ok := parsePGDuration(v)
			o.StatementTimeout = d
			return ok
		}},
	}
	for _, s := range settings {
		v, inURL := q[s.param]
		switch {
		case !inURL:
		case s.given:
			ck.add("storage_options."+s.key, "is also set by %s in the storage URL; set it in one place only", s.param)
		case len(v) != 1 || !s.parse(v[0]):
			ck.add("storage", "parameter %s=%q is not valid (storage_options.%s says it with units)", s.param, strings.Join(v, ","), s.key)
		}
	}
	if o.MaxConns < 1 || o.MaxConns > MaxStorageConns {
		ck.add("storage_options.max_conns", "must be from 1 to %d (got %d)", MaxStorageConns, o.MaxConns)
	}
	// A zero timeout would mean none: a stalled database would then hold
	// every request for good instead of answering 503.
	if o.StatementTimeout <= 0 {
		ck.add("storage_options.statement_timeout", "must be longer than 0s (0 would mean no limit, and a stalled database would hang every request)")
	} else if o.StatementTimeout%time.Millisecond != 0 {
		ck.add("storage_options.statement_timeout", "%v is finer than PostgreSQL's milliseconds", o.StatementTimeout)
	}
	if o.ConnectTimeout <= 0 {
		ck.add("storage_options.connect_timeout", "must be longer than 0s (0 would wait for an unreachable database for good)")
	} else if o.ConnectTimeout%time.Second != 0 {
		ck.add("storage_options.connect_timeout", "%v is not whole seconds, which is all PostgreSQL clients take", o.ConnectTimeout)
	}

	// The password lives in exactly one place. A URL password next to a
	// password_file would leave one of them silently unused, and the
	// operator who rotates that one would wonder why nothing changed.
	urlPassword := q.Has("password")
	if u.User != nil {
		_, set := u.User.Password()
		urlPassword = urlPassword || set
	}
	switch {
	case urlPassword && o.PasswordFile != "":
		ck.add("storage_options.password_file", "is set, and the storage URL carries a password too; keep the password in one place (the file)")
	case urlPassword:
		ck.warn("storage", "carries the database password in the configuration file; put it in storage_options.password_file or TOLLGATE_STORAGE_PASSWORD instead")
	}
	if o.PasswordFile != "" && strings.TrimSpace(o.PasswordFile) == "" {
		ck.add("storage_options.password_file", "is blank; name the file holding the database password, or leave the key out")
	}
	switch mode := q.Get("sslmode"); mode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
		// require does not check whom it talks to; only verify-full
		// checks the certificate and the host name.
		if mode != "verify-full" && !isLoopback(hostOnly(u.Host)) {
			ck.warn("storage", "sslmode=%s does not verify the database server; use sslmode=verify-full on a network (with sslrootcert when the CA is private)", orDefault(mode, "prefer"))
		}
	default:
		ck.add("storage", "sslmode=%q is not one of disable, allow, prefer, require, verify-ca, verify-full", mode)
	}
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parsePGDuration reads a PostgreSQL time setting as statement_timeout
// takes it: a whole number of milliseconds, or a number with one of the
// units us, ms, s, min, h, d (PostgreSQL 15 §20.1.1, "Numeric with Unit").
func parsePGDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	units := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
		"min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	unit, ok := units[strings.TrimSpace(v[i:])]
	if !ok || n > int64(1<<62)/int64(unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// applyDefaults fills each key left out. A key given in the file keeps its
// value, zero included, so that "statement_timeout: 0s" is reported as an
// error rather than replaced; built in code (given nil), zero means absent.
func (o *StorageOptions) applyDefaults(given map[string]bool) {
	d := DefaultStorageOptions()
	if o.MaxConns == 0 && !given["max_conns"] {
		o.MaxConns = d.MaxConns
	}
	if o.StatementTimeout == 0 && !given["statement_timeout"] {
		o.StatementTimeout = d.StatementTimeout
	}
	if o.ConnectTimeout == 0 && !given["connect_timeout"] {
		o.ConnectTimeout = d.ConnectTimeout
	}
}
