package config

import (
	"strings"
	"testing"
	"time"
)

// TestAuditRetention: 90 days unless set; zero or negative is refused with
// the field's name, whether it came from the file or from code.
func TestAuditRetention(t *testing.T) {
	c, err := Parse([]byte("issuer: https://login.example.com\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Audit.Retention != 90*24*time.Hour {
		t.Fatalf("audit.retention default %v, want 90 days", c.Audit.Retention)
	}
	c, err = Parse([]byte("issuer: https://login.example.com\naudit:\n  retention: 720h\n"))
	if err != nil || c.Audit.Retention != 720*time.Hour {
		t.Fatalf("audit.retention 720h: %v, %v", c.Audit.Retention, err)
	}
	for _, v := range []string{"0s", "-1h"} {
		_, err := Parse([]byte("issuer: https://login.example.com\naudit:\n  retention: " + v + "\n"))
		if err == nil || !strings.Contains(err.Error(), "audit.retention:") {
			t.Errorf("audit.retention %s: %v, want a problem naming the field", v, err)
		}
	}
	c = validConfig(t)
	c.Audit.Retention = -time.Hour
	if err := c.Finish(); err == nil || !strings.Contains(err.Error(), "audit.retention:") {
		t.Errorf("negative retention in code: %v", err)
	}
}
