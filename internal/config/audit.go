package config

import "time"

// Audit holds the audit trail's settings (package audit, store.AuditLog).
type Audit struct {
	// Retention is how long an event is kept; the janitor deletes older
	// ones. Default 90 days: long enough to answer "who revoked this, and
	// why were this client's refreshes failing" a quarter later, short
	// enough that the trail (which names subjects and addresses) is not
	// kept for ever.
	Retention time.Duration `yaml:"retention"`
}

// DefaultAuditRetention is audit.retention's default: 90 days.
const DefaultAuditRetention = 90 * 24 * time.Hour

func (c *Config) checkAudit(ck *checker) {
	if c.Audit.Retention <= 0 {
		ck.add("audit.retention", "must be a positive duration, for example 2160h for 90 days (got %v)", c.Audit.Retention)
	}
}
