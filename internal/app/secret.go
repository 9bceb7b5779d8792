package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// EnvSystemSecret overrides the system secret file.
const EnvSystemSecret = "TOLLGATE_SYSTEM_SECRET"

// SystemSecret returns the system secret: from TOLLGATE_SYSTEM_SECRET, else
// from the configured file. It seals the signing keys in the store and keys
// the refresh-token successor derivation, so it lives outside the database:
// a copy of the database alone can neither sign tokens nor recompute one.
//
// A missing file is created with a fresh random secret (mode 0600) only
// when st holds no signing keys yet, that is on a fresh install. If st
// already holds keys, they were sealed with a secret that is now missing
// (deleted, or a relative path read from another folder), and SystemSecret
// fails closed before writing anything: a new random file would open
// nothing, yet would sit where the backup must be restored.
func SystemSecret(ctx context.Context, cfg *config.Config, st keys.Store, log *slog.Logger) ([]byte, error) {
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
	sealed, err := st.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking the store for sealed signing keys: %w", err)
	}
	if len(sealed) > 0 {
		return nil, fmt.Errorf("the system secret file %s does not exist, but the database holds %d signing key(s) sealed with a system secret: "+
			"restore the file from your backup, or set %s; nothing was written", path, len(sealed), EnvSystemSecret)
	}
	s := secret.Generate()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the system secret's folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return SystemSecret(ctx, cfg, st, log) // another process created it first
	}
	if err != nil {
		return nil, fmt.Errorf("creating the system secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("writing the system secret: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("writing the system secret: %w", err)
	}
	log.Warn("created a new system secret; back it up, without it the stored signing keys cannot be opened", "path", path)
	return []byte(s), nil
}
