package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRefusesAFileWithoutSettings: an empty file is a mistake, not a
// request for every default; the error names the file and the "file" field.
func TestLoadRefusesAFileWithoutSettings(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"empty": "", "blank": "\n  \n", "comments": "# tollgate.yaml\n# nothing yet\n", "null": "~\n", "braces": "{}\n",
	} {
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": invalid configuration: file: holds no settings") {
			t.Errorf("%s: Load = %v, want the no-settings error naming the file", name, err)
		}
	}
	// One setting is enough to be a configuration.
	p := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(p, []byte("log_level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err != nil {
		t.Fatalf("a file with one setting: %v", err)
	}
}
