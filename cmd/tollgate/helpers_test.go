package main

import (
	"io"
	"os"
	"testing"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

func storeGrant(client, subject string) store.Grant {
	return store.Grant{ClientID: client, Subject: subject, Scopes: []string{"openid", "offline_access"}}
}

func policyOf(c *config.Client) refresh.Policy { return refresh.PolicyFor(c) }

// captureStdout returns what f printed.
func captureStdout(t *testing.T, f func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	ferr := f()
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	if ferr != nil {
		t.Fatalf("command failed: %v", ferr)
	}
	return string(out)
}
