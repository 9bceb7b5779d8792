package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/app"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
)

// cmdMigrate applies the schema as a deploy step of its own, before the
// nodes of a new version start (serve also migrates at start; nodes and
// this command take turns under the migration lock). With --status it
// only lists the migrations and when each was applied.
func cmdMigrate(args []string) error {
	fs := newFlagSet("migrate", "migrate --config F [--status]")
	var cf configFlags
	cf.register(fs)
	status := fs.Bool("status", false, "list the migrations and when each was applied; change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, _, err := cf.load()
	if err != nil {
		return err
	}
	return migrate(context.Background(), os.Stdout, cfg, *status)
}

func migrate(ctx context.Context, out io.Writer, cfg *config.Config, statusOnly bool) error {
	if !config.IsPostgres(cfg.Storage) {
		// The embedded store applies its migrations whenever it is opened
		// (serve, revoke, ...), so there is no separate step to run.
		st, err := app.OpenStore(ctx, cfg, app.StoreOptions{})
		if err != nil {
			return err
		}
		st.Close()
		fmt.Fprintf(out, "%s: the schema is current. SQLite needs no migrate step: the store applies its migrations itself whenever it is opened.\n",
			app.StorageLabel(cfg.Storage))
		return nil
	}
	db, err := app.OpenPostgres(ctx, cfg, app.StoreOptions{NoMigrate: true})
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if statusOnly {
		printMigrations(out, before)
		return nil
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	after, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	applied := 0
	for i, m := range after {
		if i < len(before) && before[i].AppliedAt.IsZero() && !m.AppliedAt.IsZero() {
			fmt.Fprintf(out, "applied %04d %s\n", m.Version, m.Name)
			applied++
		}
	}
	fmt.Fprintf(out, "%s: schema at version %d (%d migration(s) applied now)\n", app.StorageLabel(cfg.Storage), current(after), applied)
	return nil
}

// printMigrations lists each migration: version, name, when applied (or
// "pending"), and marks those a newer Tollgate applied.
func printMigrations(out io.Writer, ms []postgres.Migration) {
	fmt.Fprintf(out, "%-7s  %-32s  %s\n", "VERSION", "NAME", "APPLIED")
	for _, m := range ms {
		at := "pending"
		if !m.AppliedAt.IsZero() {
			at = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(out, "%04d     %-32s  %s\n", m.Version, m.Name, at)
	}
	fmt.Fprintf(out, "schema at version %d of %d\n", current(ms), len(ms))
}

// current is the highest applied version.
func current(ms []postgres.Migration) int {
	v := 0
	for _, m := range ms {
		if !m.AppliedAt.IsZero() && m.Version > v {
			v = m.Version
		}
	}
	return v
}

// cmdJanitor runs one sweep now: expired and long-dead records are deleted
// in small batches (store.DeleteExpired), each its own short transaction,
// so it never holds a lock that stalls a refresh. It does not wait for the
// janitor lease: the nodes keep sweeping on their schedule, and a sweep
// that overlaps theirs costs duplicate work, never correctness.
func cmdJanitor(args []string) error {
	fs := newFlagSet("janitor", "janitor --config F")
	var cf configFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, _, err := cf.load()
	if err != nil {
		return err
	}
	return janitor(context.Background(), os.Stdout, cfg, time.Now)
}

func janitor(ctx context.Context, out io.Writer, cfg *config.Config, now func() time.Time) error {
	st, err := app.OpenExistingStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	n, err := st.DeleteExpired(ctx, now())
	if err == nil {
		var m int // and the audit trail's events past audit.retention
		m, err = st.DeleteEvents(ctx, now().Add(-cfg.Audit.Retention))
		n += m
	}
	if err != nil {
		if n > 0 {
			fmt.Fprintf(out, "deleted %d expired record(s) before the failure\n", n)
		}
		return err
	}
	fmt.Fprintf(out, "deleted %d expired record(s) from %s in %s\n", n, app.StorageLabel(cfg.Storage),
		time.Since(start).Round(time.Millisecond))
	return nil
}
