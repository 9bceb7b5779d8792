package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/store/postgres"
	"github.com/tollgate-oidc/tollgate/internal/store/sqlite"
)

// EnvStoragePassword holds the PostgreSQL password. It wins over
// storage_options.password_file, as TOLLGATE_SYSTEM_SECRET wins over
// system_secret_file: a container platform injects secrets as either.
const EnvStoragePassword = "TOLLGATE_STORAGE_PASSWORD"

// StoreOptions say how OpenStore opens the store.
type StoreOptions struct {
	// NoMigrate opens a PostgreSQL store without applying migrations: the
	// operator tools use it, so that only serve and `tollgate migrate`
	// change the schema. (SQLite migrates itself whenever it is opened.)
	NoMigrate bool
	Log       *slog.Logger // discard when nil
}

// OpenStore opens the backend the configuration's storage names: SQLite
// (migrated on open), or PostgreSQL with storage_options, the password from
// TOLLGATE_STORAGE_PASSWORD or password_file, and the migrations applied
// unless o.NoMigrate.
func OpenStore(ctx context.Context, cfg *config.Config, o StoreOptions) (store.Store, error) {
	switch {
	case strings.HasPrefix(cfg.Storage, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(cfg.Storage, "sqlite:"))
	case config.IsPostgres(cfg.Storage):
		return OpenPostgres(ctx, cfg, o)
	default:
		return nil, errors.New("storage: unknown scheme; use sqlite:PATH or postgres://user@host:5432/dbname")
	}
}

// OpenPostgres opens the PostgreSQL store of the configuration.
func OpenPostgres(ctx context.Context, cfg *config.Config, o StoreOptions) (*postgres.DB, error) {
	if !config.IsPostgres(cfg.Storage) {
		return nil, errors.New("storage: not a postgres:// storage")
	}
	pw, err := StoragePassword(cfg)
	if err != nil {
		return nil, err
	}
	so := cfg.StorageOptions
	db, err := postgres.Open(ctx, cfg.Storage, postgres.Options{
		MaxConns: so.MaxConns, StatementTimeout: so.StatementTimeout, ConnectTimeout: so.ConnectTimeout,
		Password: pw, NoMigrate: o.NoMigrate, Log: o.Log,
	})
	if err != nil {
		// The postgres package keeps the DSN and password out of its
		// errors; say where we tried without them.
		return nil, fmt.Errorf("storage %s: %w", StorageLabel(cfg.Storage), err)
	}
	return db, nil
}

// StoragePassword returns the PostgreSQL password: TOLLGATE_STORAGE_PASSWORD
// when set, else the first line of storage_options.password_file, else ""
// (the DSN's own, or none). A password in the storage URL next to one from
// the environment is refused, as config refuses one next to a
// password_file: with two, an operator who rotates one cannot know which
// is in use.
func StoragePassword(cfg *config.Config) (string, error) {
	if v, ok := os.LookupEnv(EnvStoragePassword); ok && v != "" {
		if urlHasPassword(cfg.Storage) {
			return "", fmt.Errorf("storage: the storage URL carries a password and %s is set; keep the password in one place", EnvStoragePassword)
		}
		return v, nil
	}
	path := cfg.StorageOptions.PasswordFile
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("storage_options.password_file %s does not exist", path)
		}
		return "", fmt.Errorf("storage_options.password_file: %w", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimRight(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("storage_options.password_file %s is empty", path)
	}
	return pw, nil
}

func urlHasPassword(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return false
	}
	if u.User != nil {
		if _, set := u.User.Password(); set {
			return true
		}
	}
	return u.Query().Has("password")
}

// StorageLabel names the store for log lines and messages: the URL without
// any password it carries, in the user part or as a parameter.
func StorageLabel(s string) string {
	if !config.IsPostgres(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, set := u.User.Password(); set {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// OpenExistingStore is OpenStore for a store that must already exist, and
// without migrating it: the operator tools use it, so that a wrong path is
// an error instead of a new, empty database that matches nothing, and a
// tool never changes the schema behind the nodes' backs.
func OpenExistingStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if path, ok := strings.CutPrefix(cfg.Storage, "sqlite:"); ok {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("storage: no database at %s: check --config and its storage key (a relative path is relative to the configuration file's folder)", path)
			}
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	return OpenStore(ctx, cfg, StoreOptions{NoMigrate: true})
}
