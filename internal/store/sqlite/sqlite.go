package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

var _ store.Store = (*DB)(nil)

// DSN parameters (see modernc.org/sqlite Driver.Open; each _pragma runs in
// order as each connection opens). busy_timeout comes first so the rest can
// wait for a lock held by another process (say, a concurrent `tollgate
// migrate`). The writer's automatic checkpoint is only a backstop at 10,000
// pages (about 40 MB of WAL): checkpoint.go does the regular ones.
const (
	writerParams = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=wal_autocheckpoint(10000)&_txlock=immediate"
	readerParams     = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"
	checkpointParams = "_pragma=busy_timeout(10000)"
)

// DB is a Tollgate store in one SQLite file.
type DB struct {
	w  *sql.DB // the one writer connection
	r  *sql.DB // read-only pool
	ck *sql.DB // the checkpointer's connection (checkpoint.go)

	// Statements of the refresh hot path, prepared once per connection
	// instead of parsed on every call.
	findToken       *sql.Stmt // w (lookup.go)
	findLegacyToken *sql.Stmt // w (lookup.go)
	findGrant       *sql.Stmt // r
	insertSuccessor *sql.Stmt // w
	consume         *sql.Stmt // w
	dropPredecessor *sql.Stmt // w
	tokenState      *sql.Stmt // w
	useJTI          *sql.Stmt // w (jti.go)

	rotations        chan *rotation // to the rotator (rotate.go); unbuffered
	lookups          chan *lookup   // to the rotator (lookup.go); unbuffered
	jtis             chan *jtiUse   // to the rotator (jti.go); unbuffered
	kick             chan struct{}  // to the checkpointer; buffered 1
	closing          chan struct{}  // closed by Close: background goroutines stop
	rotatorDone      chan struct{}
	batched          store.BatchCounts // the rotator's batches (rotate.go)
	legacy           store.LegacyPrune // DeleteExpired's walk of legacy_refresh_hashes (codes.go)
	checkpointerDone chan struct{}
	closeOnce        sync.Once
	closeErr         error
}

// Open opens (creating if need be) the database at path, creating its parent
// directory with mode 0700 and the file with mode 0600 (it holds every grant
// of every user), and applies any schema migrations it lacks.
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
	if err := privateFiles(abs); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// sql.Open only fails for an unknown driver name; connections, and
	// their errors, come with the first use.
	db := &DB{}
	db.w, _ = sql.Open("sqlite", dsn(abs, writerParams))
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	// Migrate on the writer before anything else connects, so the file is
	// in WAL mode and the schema exists before the first read.
	if err := migrate(ctx, db.w); err != nil {
		db.w.Close()
		return nil, err
	}
	db.r, _ = sql.Open("sqlite", dsn(abs, readerParams))
	n := max(4, runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n) // keep them: opening one re-runs the pragmas
	db.ck, _ = sql.Open("sqlite", dsn(abs, checkpointParams))
	db.ck.SetMaxOpenConns(1)
	db.ck.SetMaxIdleConns(1)
	if err := db.prepare(ctx); err != nil {
		db.closeAll()
		return nil, err
	}
	db.rotations = make(chan *rotation)
	db.lookups = make(chan *lookup)
	db.jtis = make(chan *jtiUse)
	db.kick = make(chan struct{}, 1)
	db.closing = make(chan struct{})
	db.rotatorDone = make(chan struct{})
	db.checkpointerDone = make(chan struct{})
	go db.rotator()
	go db.checkpointer()
	return db, nil
}

// privateFiles makes the database readable by its owner alone. SQLite
// creates a new database file 0644 (less the umask) and its -wal and -shm
// files with the database file's own mode, so the database file is created
// first, 0600, and the three lose any group and other bits an older build
// or a copy left on them. A 0-byte file is a valid empty database.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return err
			}
		}
	}
	return nil
}

// dsn builds a file: URI. The path is escaped because SQLite decodes %XX in
// it and would take a literal '?' or '#' for the start of the query.
func dsn(path, params string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p}).String() + "?" + params
}

// The refresh hot path's token statements (lookup.go, rotate.go). Every
// one finds tokens by grant and hash, a range of the primary key
// (TestTokenStatementsSearchByGrant holds them to it).
//
// Parameters are plain "?", bound in order, never "?NNN": the driver
// reads a numbered parameter's name from SQLite as a new Go string on every
// execution.
const (
	// A token is found by its grant and hash (store contract): a
	// range of the primary key, the grant's two rows. The token's
	// hash and grant id are not selected: they are the ones asked
	// for (RefreshToken sets them). Each column costs the driver its
	// name and type, as strings, on every query.
	findTokenSQL = `SELECT ` + tokenCols + `, ` + grantCols + `
		FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.grant_id = ? AND t.hash = ?`

	// A token that names no grant (mint.LegacyRefresh) is found
	// through legacy_refresh_hashes (schema.go, migration 11).
	findLegacyTokenSQL = `SELECT ` + tokenCols + `, ` + grantCols + `
		FROM legacy_refresh_hashes l JOIN refresh_tokens t ON t.grant_id = l.grant_id AND t.hash = l.hash
		JOIN grants g ON g.id = t.grant_id WHERE l.hash = ?`

	// Rotation (rotate.go) is this conditional INSERT, then the UPDATE
	// below. The INSERT writes the successor, next to its predecessor
	// (schema.go), only if the old token is unconsumed, in the
	// successor's grant, that grant is live, and the grant holds no
	// token with the successor's hash (?1); the single writer
	// serialises it, so of any number of racing rotations of one token
	// exactly one matches. Every probe is a range of the primary key
	// within the grant, on the page the INSERT then writes.
	insertSuccessorSQL = `INSERT INTO refresh_tokens ` + tokenInsertCols + `
		SELECT t.grant_id, t.seq + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id
		WHERE t.grant_id = ? AND t.hash = ? AND t.consumed_at IS NULL AND g.revoked_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM refresh_tokens x WHERE x.grant_id = t.grant_id AND x.hash = ?1)
		ON CONFLICT DO NOTHING`

	// In the same transaction, so the grant cannot have been revoked
	// since; consumed_at IS NULL stays as the guard it must pass.
	consumeSQL = `UPDATE refresh_tokens SET consumed_at = ?, successor_hash = ?
		WHERE grant_id = ? AND hash = ? AND consumed_at IS NULL`

	// Then the consumed token's own predecessor goes (store contract:
	// a grant keeps its live token and the one that token replaced).
	// It is the row just before it in the chain, found within the
	// grant's rows the INSERT just read and wrote.
	// (UPDATE ... RETURNING seq and a DELETE by key measured no faster
	// and allocated more, through database/sql's Rows.)
	dropPredecessorSQL = `DELETE FROM refresh_tokens
		WHERE grant_id = ? AND seq = (SELECT seq - 1 FROM refresh_tokens WHERE grant_id = ? AND hash = ?)`

	// Why a conditional write matched nothing: no row, or a dead one.
	tokenStateSQL = `SELECT t.consumed_at IS NOT NULL OR g.revoked_at IS NOT NULL
		FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id WHERE t.grant_id = ? AND t.hash = ?`
)

func (db *DB) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst  **sql.Stmt
		on   *sql.DB
		text string
	}{
		{&db.findToken, db.w, findTokenSQL},
		{&db.findLegacyToken, db.w, findLegacyTokenSQL},
		{&db.findGrant, db.r, `SELECT ` + grantCols + `,
			COALESCE((SELECT t.generation FROM refresh_tokens t WHERE t.grant_id = g.id ORDER BY t.seq DESC LIMIT 1), -1)
			FROM grants g WHERE g.id = ?`},
		{&db.insertSuccessor, db.w, insertSuccessorSQL},
		{&db.consume, db.w, consumeSQL},
		{&db.dropPredecessor, db.w, dropPredecessorSQL},
		{&db.tokenState, db.w, tokenStateSQL},
		{&db.useJTI, db.w, useJTISQL},
	} {
		st, err := p.on.PrepareContext(ctx, p.text)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// Close stops the background goroutines, answering any batch of rotations
// and lookups in flight first, then closes the statements and the connections. It is
// safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.closing)
		<-db.rotatorDone
		<-db.checkpointerDone
		db.closeErr = db.closeAll()
	})
	return db.closeErr
}

func (db *DB) closeAll() error {
	var errs []error
	for _, st := range []*sql.Stmt{db.findToken, db.findLegacyToken, db.findGrant, db.insertSuccessor, db.consume, db.dropPredecessor, db.tokenState, db.useJTI} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, p := range []*sql.DB{db.ck, db.r, db.w} {
		errs = append(errs, p.Close())
	}
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
	db.wrote()
	return nil
}

// exec runs one statement on the writer in its own (implicit) transaction
// and returns how many rows it changed. A duplicate key is ErrConflict.
func (db *DB) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	n, err := affected(db.w.ExecContext(ctx, query, args...))
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, unique(err))
	}
	db.wrote()
	return n, nil
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

// Batches counts the calls the rotator took in batches, and the batches,
// by kind. A batch of the rotator holds calls of several kinds, each
// counted as a batch of its kind.
func (db *DB) Batches() *store.BatchCounts { return &db.batched }
