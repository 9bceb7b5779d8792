package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

var _ store.Store = (*DB)(nil)

// DSN parameters (see modernc.org/sqlite Driver.Open). busy_timeout comes
// first so the others can wait for a lock held by another process (a
// concurrent `tollgate migrate`); query_only comes last for the same reason.
const (
	writerParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	readerParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
)

// DB is a Tollgate store in one SQLite file.
type DB struct {
	w *sql.DB // the one writer connection
	r *sql.DB // read-only pool
	// Statements of the refresh hot path, prepared once per connection
	// rather than parsed on every call.
	findToken   *sql.Stmt // r
	findGrant   *sql.Stmt // r
	consume     *sql.Stmt // w
	tokenState  *sql.Stmt // w
	insertToken *sql.Stmt // w
}

// Open opens (creating if need be) the database at path, creating its parent
// directory with mode 0700 (it holds every grant of every user), and applies
// any schema migrations it lacks.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db := &DB{}
	if db.w, err = sql.Open("sqlite", dsn(abs, writerParams)); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	// Migrate on the writer before any reader connects, so the file is in
	// WAL mode and the schema exists before the first read.
	if err := migrate(ctx, db.w); err != nil {
		db.w.Close()
		return nil, err
	}
	if db.r, err = sql.Open("sqlite", dsn(abs, readerParams)); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// Idle connections are kept: opening one re-runs the pragmas.
	n := max(4, runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds a file: URI. The path is escaped because SQLite decodes %XX in
// it and would read a literal '?' or '#' as the start of the query.
func dsn(path, params string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p}).String() + "?" + params
}

func (db *DB) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst  **sql.Stmt
		on   *sql.DB
		text string
	}{
		{&db.findToken, db.r, `SELECT ` + tokenCols + `, ` + grantCols + `
			FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.hash = ?`},
		{&db.findGrant, db.r, `SELECT ` + grantCols + ` FROM grants g WHERE g.id = ?`},
		// The whole rotation rule is this one conditional write: it matches
		// only an unconsumed token of a live grant, and the single writer
		// serialises it, so of any number of racing rotations one matches.
		{&db.consume, db.w, `UPDATE refresh_tokens SET consumed_at = ?, successor_hash = ?
			WHERE hash = ? AND grant_id = ? AND consumed_at IS NULL
			AND EXISTS (SELECT 1 FROM grants g WHERE g.id = refresh_tokens.grant_id AND g.revoked_at IS NULL)`},
		// Why a conditional write matched nothing: no row, or a dead one.
		{&db.tokenState, db.w, `SELECT t.grant_id, t.consumed_at IS NOT NULL OR g.revoked_at IS NOT NULL
			FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.hash = ?`},
		{&db.insertToken, db.w, `INSERT INTO refresh_tokens
			(hash, grant_id, generation, created_at, expires_at, consumed_at, successor_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?)`},
	} {
		st, err := p.on.PrepareContext(ctx, p.text)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// Close closes the statements and both pools.
func (db *DB) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{db.findToken, db.findGrant, db.consume, db.tokenState, db.insertToken} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// write runs fn in one BEGIN IMMEDIATE transaction on the writer and commits
// it unless fn fails. Every error leaves as "sqlite: op: ...", so a raw
// driver error is never bare, and only fn decides what is ErrNotFound.
func (db *DB) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return nil
}

// affected returns how many rows an Exec changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// unique maps a primary-key or unique violation to store.ErrConflict, and
// leaves every other error as it is.
func unique(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		if c := se.Code(); c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			return store.ErrConflict
		}
	}
	return err
}

var errZeroTime = errors.New("zero time")

// micros is how a time is bound: unix microseconds, or NULL for zero.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// list is how a string slice is bound: a JSON array, which keeps any value
// (an AMR value may hold a space, which a space-joined list would split).
func list(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // a []string always marshals
	return string(b)
}

// timeCol scans what micros binds.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	return nil
}

// listCol scans what list binds; empty comes back nil.
type listCol struct{ s *[]string }

func (c listCol) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("list column holds %T", v)
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return fmt.Errorf("list column: %w", err)
	}
	if len(out) == 0 {
		out = nil
	}
	*c.s = out
	return nil
}
