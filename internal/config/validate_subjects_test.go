package config

import (
	"errors"
	"strings"
	"testing"
)

// TestClientIDMustNotBeAUserSubject: RFC 9068 §5, a client-credentials
// token's sub (the client id) must not collide with a user's sub.
func TestClientIDMustNotBeAUserSubject(t *testing.T) {
	c := validConfig(t)
	c.Users[1].Subject = "svc" // bob's subject is the id of a client-credentials client
	err := c.Finish()
	var ce *Error
	if !errors.As(err, &ce) || len(ce.Problems) != 1 {
		t.Fatalf("Finish = %v, want one problem", err)
	}
	p := ce.Problems[0]
	if p.Field != `clients[1] "svc".id` || !strings.Contains(p.Reason, `users[1] "bob"`) || !strings.Contains(p.Reason, "RFC 9068") {
		t.Fatalf("problem %q: %q", p.Field, p.Reason)
	}

	// Any client, not only one with the client_credentials grant today.
	c = validConfig(t)
	c.Users[0].Subject = "spa"
	if err := c.Finish(); err == nil || !strings.Contains(err.Error(), `clients[2] "spa".id`) {
		t.Fatalf("Finish = %v, want the spa client named", err)
	}

	// Distinct namespaces pass.
	if err := validConfig(t).Finish(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}
