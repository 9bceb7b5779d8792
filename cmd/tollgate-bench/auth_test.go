package main

import (
	"encoding/json"
	"io"
	"os"
	"reflect"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
)

// Which flags need a client secret, and which go together.
func TestClientAuthFlags(t *testing.T) {
	t.Setenv("TOLLGATE_BENCH_SECRET", "")
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-tokens", "f"}, false}, // runs authenticate: a secret
		{[]string{"-tokens", "f", "-secret", "s"}, true},
		{[]string{"-prefill", "-grants", "10", "-config", "c.yaml"}, true}, // writes the store, sends nothing
		{[]string{"-prefill", "-grants", "10", "-config", "c.yaml", "-c", "8"}, false},
		{[]string{"-tokens", "f", "-auth", "private_key_jwt", "-assertion-key", "k.pem"}, true},
		{[]string{"-tokens", "f", "-auth", "private_key_jwt"}, false},
		{[]string{"-tokens", "f", "-secret", "s", "-assertion-key", "k.pem"}, false},
		{[]string{"-tokens", "f", "-secret", "s", "-auth", "jwt"}, false},
	} {
		_, err := parseFlags(c.args, io.Discard)
		if (err == nil) != c.ok {
			t.Errorf("%v: %v, want ok %v", c.args, err, c.ok)
		}
	}
}

// examples/bench-helseid.yaml loads, and its client's registered key is
// the public half of examples/bench-client-key.DEMO-ONLY.pem, so the
// commands in its header and in docs/performance.md work as written.
func TestHelseIDExample(t *testing.T) {
	cfg, err := config.Load("../../examples/bench-helseid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cl, ok := cfg.Client("bench-helseid")
	if !ok || cl.Profile != config.ProfileHelseID || cl.AuthMethod != config.AuthPrivateKeyJWT {
		t.Fatalf("client bench-helseid: %+v, want the helseid profile with private_key_jwt", cl)
	}
	const keyFile = "../../examples/bench-client-key.DEMO-ONLY.pem"
	if _, err := os.Stat(keyFile); err != nil { // loadAsserter would make one in examples/
		t.Fatal(err)
	}
	a, err := loadAsserter(keyFile, cl.ID, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(a.jwk), &want); err != nil {
		t.Fatal(err)
	}
	keys, _ := cl.JWKS["keys"].([]any)
	if len(keys) != 1 || !reflect.DeepEqual(keys[0], want) {
		t.Fatalf("the client's jwks %v is not the key file's public key %v", cl.JWKS, want)
	}
}
