package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const pgURL = "postgres://tollgate@db.example.com:5432/tollgate?sslmode=verify-full"

func TestStorageOptionsDefaults(t *testing.T) {
	c, err := Parse([]byte("storage: " + pgURL + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.StorageOptions != DefaultStorageOptions() {
		t.Errorf("storage_options = %+v, want the defaults %+v", c.StorageOptions, DefaultStorageOptions())
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("a verify-full URL without a password warned: %q", w)
	}
	// Built in code from a zero Config, the same defaults apply.
	z := &Config{Storage: pgURL}
	if err := z.Finish(); err != nil {
		t.Fatal(err)
	}
	if z.StorageOptions != DefaultStorageOptions() {
		t.Errorf("zero Config: storage_options = %+v", z.StorageOptions)
	}
}

func TestStorageOptionsGiven(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tollgate.yaml")
	yml := "storage: " + pgURL + "\nstorage_options:\n  max_conns: 25\n  statement_timeout: 1500ms\n  connect_timeout: 3s\n  password_file: secrets/db.pw\n"
	if err := os.WriteFile(p, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := StorageOptions{MaxConns: 25, StatementTimeout: 1500 * time.Millisecond, ConnectTimeout: 3 * time.Second,
		PasswordFile: filepath.Join(dir, "secrets/db.pw")}
	if c.StorageOptions != want {
		t.Errorf("storage_options = %+v, want %+v (password_file relative to the file's folder)", c.StorageOptions, want)
	}
}

// TestStorageOptionsFromURL: pool size and timeouts given as URL parameters
// (pgx and libpq names) become the effective storage_options.
func TestStorageOptionsFromURL(t *testing.T) {
	c, err := Parse([]byte("storage: postgres://tg@127.0.0.1/tg?pool_max_conns=7&connect_timeout=2&statement_timeout=1min\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := StorageOptions{MaxConns: 7, ConnectTimeout: 2 * time.Second, StatementTimeout: time.Minute}
	if c.StorageOptions != want {
		t.Errorf("storage_options = %+v, want %+v", c.StorageOptions, want)
	}
	c, err = Parse([]byte("storage: postgres://tg@127.0.0.1/tg?statement_timeout=250\n"))
	if err != nil || c.StorageOptions.StatementTimeout != 250*time.Millisecond {
		t.Errorf("statement_timeout=250 (ms) gave %v, %v", c.StorageOptions.StatementTimeout, err)
	}
}

func TestStorageOptionsRules(t *testing.T) {
	cases := []struct {
		name, yaml, field, reason string
	}{
		{"on sqlite", "storage: sqlite:./x.db\nstorage_options:\n  max_conns: 3\n",
			"storage_options", "applies only to a postgres:// storage"},
		{"empty block on sqlite", "storage_options: {}\n",
			"storage_options", "applies only to a postgres:// storage"},
		{"zero pool", "storage: " + pgURL + "\nstorage_options:\n  max_conns: 0\n",
			"storage_options.max_conns", "must be from 1 to 1000"},
		{"huge pool", "storage: " + pgURL + "\nstorage_options:\n  max_conns: 5000\n",
			"storage_options.max_conns", "must be from 1 to 1000"},
		{"no statement timeout", "storage: " + pgURL + "\nstorage_options:\n  statement_timeout: 0s\n",
			"storage_options.statement_timeout", "must be longer than 0s"},
		{"sub-millisecond statement timeout", "storage: " + pgURL + "\nstorage_options:\n  statement_timeout: 1500us\n",
			"storage_options.statement_timeout", "finer than PostgreSQL's milliseconds"},
		{"no connect timeout", "storage: " + pgURL + "\nstorage_options:\n  connect_timeout: 0s\n",
			"storage_options.connect_timeout", "must be longer than 0s"},
		{"fractional connect timeout", "storage: " + pgURL + "\nstorage_options:\n  connect_timeout: 2500ms\n",
			"storage_options.connect_timeout", "not whole seconds"},
		{"pool in both places", "storage: postgres://tg@h/tg?pool_max_conns=4\nstorage_options:\n  max_conns: 4\n",
			"storage_options.max_conns", "also set by pool_max_conns in the storage URL"},
		{"timeout in both places", "storage: postgres://tg@h/tg?statement_timeout=4s\nstorage_options:\n  statement_timeout: 4s\n",
			"storage_options.statement_timeout", "also set by statement_timeout"},
		{"bad URL parameter", "storage: postgres://tg@h/tg?connect_timeout=soon\n",
			"storage", `connect_timeout="soon" is not valid`},
		{"sub-millisecond URL timeout", "storage: postgres://tg@h/tg?statement_timeout=1500us\n",
			"storage_options.statement_timeout", "finer than PostgreSQL's milliseconds"},
		{"bad URL duration", "storage: postgres://tg@h/tg?statement_timeout=5fortnights\n",
			"storage", `statement_timeout="5fortnights" is not valid`},
		{"password twice", "storage: postgres://tg:pw@h/tg\nstorage_options:\n  password_file: /run/secrets/db\n",
			"storage_options.password_file", "keep the password in one place"},
		{"password twice, query form", "storage: postgres://tg@h/tg?password=pw\nstorage_options:\n  password_file: /run/secrets/db\n",
			"storage_options.password_file", "keep the password in one place"},
		{"unknown sslmode", "storage: postgres://tg@h/tg?sslmode=maybe\n",
			"storage", `sslmode="maybe" is not one of`},
		{"unknown key", "storage: " + pgURL + "\nstorage_options:\n  pool_size: 3\n",
			"line 3", `unknown key "pool_size" in storage_options`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want a configuration error", err)
			}
			for _, p := range ce.Problems {
				if p.Field == tc.field && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Errorf("problems %v do not name %s with %q", ce.Problems, tc.field, tc.reason)
		})
	}
}

func TestStorageWarnings(t *testing.T) {
	for yml, want := range map[string]string{
		"storage: postgres://tg:hunter2@db.example.com/tg?sslmode=verify-full\n": "carries the database password",
		"storage: postgres://tg@db.example.com/tg?sslmode=require\n":             "sslmode=require does not verify",
		"storage: postgres://tg@db.example.com/tg\n":                             "sslmode=prefer does not verify",
	} {
		c, err := Parse([]byte(yml))
		if err != nil {
			t.Fatalf("%s: %v", yml, err)
		}
		w := strings.Join(c.Warnings(), "\n")
		if !strings.Contains(w, want) {
			t.Errorf("%s: warnings %q lack %q", yml, w, want)
		}
		if strings.Contains(w, "hunter2") {
			t.Errorf("a warning repeats the password: %q", w)
		}
	}
	// A loopback database needs no TLS to be warned about.
	c, err := Parse([]byte("storage: postgres://tg@127.0.0.1:5432/tg?sslmode=disable\n"))
	if err != nil || len(c.Warnings()) != 0 {
		t.Errorf("loopback sslmode=disable: %v, warnings %q", err, c.Warnings())
	}
}

// TestStorageErrorsHidePassword: no problem text repeats a password the
// storage URL carries.
func TestStorageErrorsHidePassword(t *testing.T) {
	_, err := Parse([]byte("storage: mysql://tg:hunter2@h/tg\nstorage_options:\n  max_conns: 0\n"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
	_, err = Parse([]byte("storage: postgres://tg:hunter2@h/tg?sslmode=odd&pool_max_conns=x\n"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}
