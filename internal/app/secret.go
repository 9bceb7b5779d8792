package app

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// EnvSystemSecret overrides the system secret file.
const EnvSystemSecret = "TOLLGATE_SYSTEM_SECRET"

// SystemSecret returns the system secret: from TOLLGATE_SYSTEM_SECRET, else
// from the configured file, which is created with a fresh random secret when
// missing. It seals the signing keys in the store and keys the refresh-token
// successor derivation, so it lives outside the database: a copy of the
// database alone can neither sign tokens nor recompute one.
func SystemSecret(cfg *config.Config, log *slog.Logger) ([]byte, error) {
	if v := os.Getenv(EnvSystemSecret); v != "" {
		if len(v) < 32 {
			return nil, fmt.Errorf("%s must be at least 32 characters", EnvSystemSecret)
		}
		return []byte(v), nil
	}
	path := cfg.SystemSecretFile
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("system secret file %s holds fewer than 32 characters", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the system secret: %w", err)
	}
	s := secret.Generate()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the system secret's folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return SystemSecret(cfg, log) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("creating the system secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing the system secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing the system secret: %w", err)
	}
	log.Warn("created a new system secret; back it up, without it the stored signing keys cannot be opened", "path", path)
	return []byte(s), nil
}
