package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	examplePath        = "../../examples/tollgate.yaml"
	clusterExamplePath = "../../examples/tollgate-cluster.yaml"
)

// TestClusterExampleLoads: the cluster example is a valid node
// configuration whose storage_options are the defaults it says.
func TestClusterExampleLoads(t *testing.T) {
	c, err := Load(clusterExamplePath)
	if err != nil {
		t.Fatalf("Load(cluster example): %v", err)
	}
	want := DefaultStorageOptions()
	want.PasswordFile = "/run/secrets/tollgate-db-password"
	if !IsPostgres(c.Storage) || c.StorageOptions != want {
		t.Errorf("storage %q, storage_options %+v, want postgres with %+v", c.Storage, c.StorageOptions, want)
	}
	if len(c.Warnings()) != 0 {
		t.Errorf("the cluster example warns: %q", c.Warnings())
	}
}

func TestExampleLoads(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(example): %v", err)
	}
	web, ok := c.Client("webapp")
	if !ok {
		t.Fatal("client webapp missing")
	}
	want := Tokens{
		AccessTokenLifetime: 2 * time.Minute, IDTokenLifetime: 5 * time.Minute,
		AccessTokenSigningAlg: "ES256", IDTokenSigningAlg: "ES256",
		RefreshToken: RefreshToken{Rotation: RotationOneTime, IdleLifetime: 72 * time.Hour, MaxLifetime: 168 * time.Hour, ReuseGrace: 30 * time.Second},
	}
	if web.Tokens != want {
		t.Errorf("webapp effective tokens = %+v, want %+v", web.Tokens, want)
	}
	rep, _ := c.Client("reports")
	if rep.Secret != "" || !strings.HasPrefix(rep.SecretHash, "sha256:") {
		t.Errorf("reports secret not hashed: %q / %q", rep.Secret, rep.SecretHash)
	}
	if rep.Tokens != c.Tokens {
		t.Errorf("reports without override has tokens %+v, want the server's %+v", rep.Tokens, c.Tokens)
	}
	batch, _ := c.Client("batch")
	if ks := batch.Keys(); ks == nil || len(ks.Keys) != 1 || ks.Keys[0].KeyID != "batch-2026-01" {
		t.Errorf("batch keys = %+v", ks)
	}
	demo, ok := c.User("demo")
	if !ok || demo.Password != "" || !strings.HasPrefix(demo.PasswordHash, "$argon2id$") {
		t.Errorf("demo user password not hashed: %+v", demo)
	}
	if u, ok := c.UserBySubject("7f3c2a9e-0d4b-4c61-9a35-2f1e8b6d5c40"); !ok || u.Username != "alice" {
		t.Errorf("UserBySubject(alice's sub) = %v, %v", u, ok)
	}
	if len(c.Warnings()) == 0 {
		t.Error("expected a warning about the demo user's plain password")
	}
}

// TestExampleUsesEveryKey keeps examples/tollgate.yaml complete: every yaml
// key of every config type must appear in it at least once.
// The PostgreSQL-only keys (storage_options) are in the cluster example,
// since they are an error next to the first example's sqlite storage.
func TestExampleUsesEveryKey(t *testing.T) {
	have := map[string]bool{}
	for _, path := range []string{examplePath, clusterExamplePath} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		collectKeys(doc.Content[0], "", have)
	}
	var want []string
	expectedKeys(reflect.TypeOf(Config{}), "", &want)
	for _, k := range want {
		if !have[k] {
			t.Errorf("examples/tollgate.yaml does not use key %s", k)
		}
	}
}

func collectKeys(n *yaml.Node, prefix string, have map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := prefix + n.Content[i].Value
			have[k] = true
			collectKeys(n.Content[i+1], k+".", have)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			collectKeys(item, strings.TrimSuffix(prefix, ".")+"[].", have)
		}
	}
}

func expectedKeys(t reflect.Type, prefix string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := prefix + tag
		*out = append(*out, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)):
			expectedKeys(ft, key+".", out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			expectedKeys(ft.Elem(), key+"[].", out)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestLoadNamesFileInErrors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tollgate.yaml")
	if err := os.WriteFile(p, []byte("log_level: loud\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), "log_level") {
		t.Fatalf("Load = %v, want an error starting with the path and naming log_level", err)
	}
}

func TestParseEmptyGivesDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Issuer != "http://127.0.0.1:8080" || c.Storage != "sqlite:./.tollgate/tollgate.db" ||
		c.SystemSecretFile != "./.tollgate/system.key" || c.LogLevel != "info" {
		t.Errorf("defaults: %+v", c)
	}
	want := Tokens{
		AccessTokenLifetime: 5 * time.Minute, IDTokenLifetime: 5 * time.Minute,
		AccessTokenSigningAlg: "ES256", IDTokenSigningAlg: "RS256",
		RefreshToken: RefreshToken{Rotation: "one_time", IdleLifetime: 360 * time.Hour, MaxLifetime: 720 * time.Hour, ReuseGrace: 60 * time.Second},
	}
	if c.Tokens != want {
		t.Errorf("default tokens = %+v, want %+v", c.Tokens, want)
	}
}

func TestParseIssuerFromListen(t *testing.T) {
	for listen, issuer := range map[string]string{
		":9000":        "http://localhost:9000",
		"0.0.0.0:80":   "http://localhost:80",
		"[::1]:8443":   "http://[::1]:8443",
		"auth.lan:443": "http://auth.lan:443",
	} {
		c, err := Parse([]byte("listen: \"" + listen + "\""))
		if err != nil {
			t.Fatalf("listen %q: %v", listen, err)
		}
		if c.Issuer != issuer {
			t.Errorf("listen %q: issuer %q, want %q", listen, c.Issuer, issuer)
		}
	}
}

func TestParseUnknownKeys(t *testing.T) {
	_, err := Parse([]byte(`
issuer: https://a.example
clients:
  - id: x
    allow_offline_acess: true
tokens:
  refresh_token:
    idle: 5m
`))
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 2 {
		t.Fatalf("Parse = %v, want two problems", err)
	}
	msg := err.Error()
	for _, want := range []string{`line 5: unknown key "allow_offline_acess" in a client`, `line 8: unknown key "idle" in tokens.refresh_token`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
}

func TestParseDurations(t *testing.T) {
	c, err := Parse([]byte("tokens:\n  access_token_lifetime: 90s\n  refresh_token:\n    reuse_grace: 0s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Tokens.AccessTokenLifetime != 90*time.Second {
		t.Errorf("access_token_lifetime = %v", c.Tokens.AccessTokenLifetime)
	}
	// An explicit 0s is kept, not replaced by the 60s default.
	if c.Tokens.RefreshToken.ReuseGrace != 0 {
		t.Errorf("reuse_grace: 0s gave %v", c.Tokens.RefreshToken.ReuseGrace)
	}
	// An explicit zero lifetime is an error, not a silent default.
	_, err = Parse([]byte("tokens:\n  access_token_lifetime: 0s\n"))
	if err == nil || !strings.Contains(err.Error(), "tokens.access_token_lifetime: must be greater than 0") {
		t.Errorf("access_token_lifetime: 0s gave %v", err)
	}
	for _, bad := range []string{"300", "5 minutes", "15d"} {
		_, err := Parse([]byte("tokens:\n  id_token_lifetime: " + bad + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "Go duration text") {
			t.Errorf("id_token_lifetime: %s gave %v", bad, err)
		}
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse([]byte("issuer: [unclosed\n"))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse(bad yaml) = %v, want *Error", err)
	}
}

func TestParseTwoDocuments(t *testing.T) {
	_, err := Parse([]byte("log_level: info\n---\nlog_level: debug\n"))
	if err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Fatalf("Parse(two docs) = %v", err)
	}
}
