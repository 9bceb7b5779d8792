package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLoadResolvesPathsAgainstTheFile: relative storage, system_secret_file
// and tls paths are relative to the configuration file's folder, not to
// wherever the command runs. The review ran `tollgate revoke` from another
// folder; it opened a new empty database and revoked nothing.
func TestLoadResolvesPathsAgainstTheFile(t *testing.T) {
	root := t.TempDir()
	confDir := filepath.Join(root, "etc", "tollgate")
	if err := os.MkdirAll(confDir, 0o700); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "abs", "system.key")
	yaml := "issuer: https://login.example.com\nstorage: sqlite:./state/tollgate.db\nsystem_secret_file: " + abs +
		"\ntls:\n  cert_file: tls/cert.pem\n  key_file: ../tls/key.pem\n"
	path := filepath.Join(confDir, "tollgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(root, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	// A path relative to the working directory, as an operator types it.
	c, err := Load(filepath.Join("..", "etc", "tollgate", "tollgate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ key, got, want string }{
		{"storage", c.Storage, "sqlite:" + filepath.Join(confDir, "state", "tollgate.db")},
		{"system_secret_file", c.SystemSecretFile, abs},
		{"tls.cert_file", c.TLS.CertFile, filepath.Join(confDir, "tls", "cert.pem")},
		{"tls.key_file", c.TLS.KeyFile, filepath.Join(root, "etc", "tls", "key.pem")},
	} {
		if p.got != p.want {
			t.Errorf("%s = %q, want %q", p.key, p.got, p.want)
		}
	}

	// Defaults are paths too: they land beside the file.
	if err := os.WriteFile(path, []byte("issuer: https://login.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(path); err != nil {
		t.Fatal(err)
	}
	if want := "sqlite:" + filepath.Join(confDir, ".tollgate", "tollgate.db"); c.Storage != want {
		t.Errorf("default storage = %q, want %q", c.Storage, want)
	}
	if want := filepath.Join(confDir, ".tollgate", "system.key"); c.SystemSecretFile != want {
		t.Errorf("default system_secret_file = %q, want %q", c.SystemSecretFile, want)
	}
}

// TestParseLeavesPathsAlone: without a file there is no folder to resolve
// against; Parse (and a Config built in code) keep paths as given.
func TestParseLeavesPathsAlone(t *testing.T) {
	c, err := Parse([]byte("issuer: https://login.example.com\nstorage: sqlite:db/x.db\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage != "sqlite:db/x.db" {
		t.Errorf("storage = %q", c.Storage)
	}
}
