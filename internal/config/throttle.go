package config

import (
	"time"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// Throttle bounds what abuse can cost the server (issue 10, flaws 2 and 3):
// how many password checks run at once, how failed sign-ins are slowed
// down, and how many authorization requests unauthenticated callers can
// make it store. The state is per node: N nodes allow N times the limits.
type Throttle struct {
	PasswordChecks PasswordChecks `yaml:"password_checks"`
	Failures       Failures       `yaml:"failures"`
	Requests       Requests       `yaml:"requests"`
	// TrackedKeys bounds each table of usernames, addresses and clients the
	// throttles remember; the least recently used entry goes first.
	TrackedKeys int `yaml:"tracked_keys"`
}

// PasswordChecks bound the password hashing of the login page and the
// password grant together: one argon2id check holds 19 MiB.
type PasswordChecks struct {
	Concurrent int           `yaml:"concurrent"` // checks at once; 0: one per CPU
	Queue      int           `yaml:"queue"`      // requests that may wait for a check; beyond, 429
	QueueWait  time.Duration `yaml:"queue_wait"` // longest wait in the queue before 429
}

// Failures throttle failed sign-ins per username and per client address
// (RFC 6749 §10.10): a key may fail its number of times per window, then
// each further failure refuses it for backoff, doubling up to max_backoff.
type Failures struct {
	PerUsername int           `yaml:"per_username"`
	PerIP       int           `yaml:"per_ip"`
	Window      time.Duration `yaml:"window"`
	Backoff     time.Duration `yaml:"backoff"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
}

// Requests bound what the authorization requests parked for sign-in and
// pushed to /connect/par (rows in the store) may store, per client address
// and per client: a token bucket of that many KiB of parameters, refilled at
// that many per window. A request weighs its size rounded up to whole KiB,
// at least 1: a sign-in's few hundred bytes cost 1, a flood at the caps
// costs ten times that, so the budget bounds storage without starving the
// staff of a hospital who share one address.
type Requests struct {
	PerIPKiB     int           `yaml:"per_ip_kib"`
	PerClientKiB int           `yaml:"per_client_kib"`
	Window       time.Duration `yaml:"window"`
}

// Throttle defaults. An attacker gets about per_username guesses per
// window on one account (5 an hour), and one address about per_ip (high,
// because a hospital's staff may share one address).
const (
	DefaultPasswordQueue        = 16
	DefaultPasswordQueueWait    = time.Second
	DefaultFailuresPerUser      = 5
	DefaultFailuresPerIP        = 100
	DefaultFailureWindow        = time.Hour
	DefaultFailureBackoff       = time.Second
	DefaultFailureMaxBackoff    = 15 * time.Minute
	DefaultRequestsPerIPKiB     = 2048  // 2 MiB: ~2000 sign-ins from one address per window
	DefaultRequestsPerClientKiB = 16384 // 16 MiB: ~16000 sign-ins of one client per window
	DefaultRequestsWindow       = 15 * time.Minute
	DefaultThrottleTrackedKey   = 100000
)

// DefaultThrottle returns the throttle defaults.
func DefaultThrottle() Throttle {
	return Throttle{
		PasswordChecks: PasswordChecks{Queue: DefaultPasswordQueue, QueueWait: DefaultPasswordQueueWait},
		Failures: Failures{PerUsername: DefaultFailuresPerUser, PerIP: DefaultFailuresPerIP, Window: DefaultFailureWindow,
			Backoff: DefaultFailureBackoff, MaxBackoff: DefaultFailureMaxBackoff},
		Requests:    Requests{PerIPKiB: DefaultRequestsPerIPKiB, PerClientKiB: DefaultRequestsPerClientKiB, Window: DefaultRequestsWindow},
		TrackedKeys: DefaultThrottleTrackedKey,
	}
}

// fillZero sets every zero field of a Throttle built in code to its default
// (Queue excepted: 0 is a real choice there, and in code it means none).
func (t *Throttle) fillZero() {
	d := DefaultThrottle()
	if t.PasswordChecks == (PasswordChecks{}) {
		t.PasswordChecks = d.PasswordChecks
	}
	setInt(&t.Failures.PerUsername, d.Failures.PerUsername)
	setInt(&t.Failures.PerIP, d.Failures.PerIP)
	setDuration(&t.Failures.Window, d.Failures.Window)
	setDuration(&t.Failures.Backoff, d.Failures.Backoff)
	setDuration(&t.Failures.MaxBackoff, d.Failures.MaxBackoff)
	setInt(&t.Requests.PerIPKiB, d.Requests.PerIPKiB)
	setInt(&t.Requests.PerClientKiB, d.Requests.PerClientKiB)
	setDuration(&t.Requests.Window, d.Requests.Window)
	setInt(&t.TrackedKeys, d.TrackedKeys)
}

func setInt(n *int, def int) {
	if *n == 0 {
		*n = def
	}
}

func (c *Config) checkThrottle(ck *checker) {
	t := c.Throttle
	atLeast := func(field string, n, least int) {
		if n < least {
			ck.add("throttle."+field, "must be at least %d (got %d)", least, n)
		}
	}
	positive := func(field string, d time.Duration) {
		if d <= 0 {
			ck.add("throttle."+field, "must be longer than 0s (got %v)", d)
		}
	}
	atLeast("password_checks.concurrent", t.PasswordChecks.Concurrent, 0)
	atLeast("password_checks.queue", t.PasswordChecks.Queue, 0)
	if t.PasswordChecks.QueueWait < 0 {
		ck.add("throttle.password_checks.queue_wait", "must not be negative (got %v)", t.PasswordChecks.QueueWait)
	}
	atLeast("failures.per_username", t.Failures.PerUsername, 1)
	atLeast("failures.per_ip", t.Failures.PerIP, 1)
	positive("failures.window", t.Failures.Window)
	positive("failures.backoff", t.Failures.Backoff)
	positive("failures.max_backoff", t.Failures.MaxBackoff)
	if t.Failures.MaxBackoff > 0 && t.Failures.MaxBackoff < t.Failures.Backoff {
		ck.add("throttle.failures.max_backoff", "%v is shorter than backoff (%v)", t.Failures.MaxBackoff, t.Failures.Backoff)
	}
	// A request at every parameter cap weighs about 12 KiB: a smaller
	// budget could refuse a lawful request forever.
	atLeast("requests.per_ip_kib", t.Requests.PerIPKiB, 16)
	atLeast("requests.per_client_kib", t.Requests.PerClientKiB, 16)
	positive("requests.window", t.Requests.Window)
	atLeast("tracked_keys", t.TrackedKeys, 100)

	// Every sign-in computes one hash of each cost class the users' hashes
	// use (secret.Equaliser), so that timing shows no username: many
	// classes make every sign-in cost their sum.
	classes := map[string]bool{}
	for _, u := range c.Users {
		if u.PasswordHash != "" {
			if cl, err := secret.CostClass(u.PasswordHash); err == nil {
				classes[cl] = true
			}
		}
	}
	if len(classes) > 2 {
		ck.warn("users", "password hashes use %d different algorithms or costs; every sign-in computes one hash of each so that timing shows no username, so rehash them to one setting (tollgate hash-password)", len(classes))
	}
}
