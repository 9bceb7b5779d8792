package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The schema history: migrations/NNNN_name.sql takes the database to
// version NNNN. Forward-only and append-only: never edit a migration that
// has shipped, because databases in the field already ran it.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one schema version and when it was applied (zero: pending).
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// migrations reads the embedded files once: versions 1, 2, ... with no gap.
var migrations = sync.OnceValues(func() ([]migration, error) {
	return loadMigrations(migrationFS, "migrations")
})

func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: m[2], sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %d (versions start at 1, with no gap or repeat)", m.version, m.name, i+1)
		}
	}
	return ms, nil
}

// migrateLock is taken, per schema, by every Migrate for the length of its
// transaction, so two nodes starting at once take turns: the second finds
// the work done. It orders migrations only; no request depends on it.
const migrateLock = `SELECT pg_advisory_xact_lock(hashtextextended('tollgate schema migrations ' || COALESCE(current_schema(), ''), 0))`

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies, in one transaction, every migration the database lacks,
// and refuses a database at a newer version than this build knows (an older
// binary must not write to a schema it does not know). It is idempotent and
// safe to run from several processes at once. It runs under ctx alone: the
// StatementTimeout does not apply (an index build can take longer).
func (db *DB) Migrate(ctx context.Context) error {
	return db.migrate(ctx, 0)
}

// migrate is Migrate up to version upTo (0: every version), for the tests
// of a migration over rows written at the version before it.
func (db *DB) migrate(ctx context.Context, upTo int) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if upTo > 0 && upTo < len(ms) {
		ms = ms[:upTo]
	}
	return db.run(ctx, "migrate", 0, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			for _, q := range []string{`SET LOCAL statement_timeout = 0`, migrateLock, createMigrationsTable} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
			var have int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
				return err
			}
			if have > len(ms) {
				return fmt.Errorf("the database is at schema version %d, this build knows only %d: upgrade Tollgate", have, len(ms))
			}
			for _, m := range ms[have:] {
				if _, err := tx.Exec(ctx, m.sql); err != nil {
					return fmt.Errorf("version %d (%s): %w", m.version, m.name, err)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
					return err
				}
				db.log.Info("postgres: schema migrated", "version", m.version, "name", m.name)
			}
			return nil
		})
	})
}

// MigrationStatus lists every migration this build knows, with when it was
// applied (zero: pending), then any the database has that this build does
// not know (a newer build applied them).
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	ms, err := migrations()
	if err != nil {
		return nil, fmt.Errorf("postgres: migration status: %w", err)
	}
	applied := map[int]Migration{}
	err = db.do(ctx, "migration status", func(ctx context.Context) error {
		clear(applied)
		var exists bool
		if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil || !exists {
			return err
		}
		rows, err := db.pool.Query(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Migration
			if err := rows.Scan(&m.Version, &m.Name, timeCol{&m.AppliedAt}); err != nil {
				return err
			}
			applied[m.Version] = m
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, m := range ms {
		s := Migration{Version: m.version, Name: m.name}
		if a, ok := applied[m.version]; ok {
			s.AppliedAt = a.AppliedAt
			delete(applied, m.version)
		}
		out = append(out, s)
	}
	var newer []Migration
	for _, a := range applied {
		newer = append(newer, a)
	}
	sort.Slice(newer, func(i, j int) bool { return newer[i].Version < newer[j].Version })
	return append(out, newer...), nil
}
