package config

import (
	"strings"
	"testing"
	"time"
)

func TestThrottleDefaults(t *testing.T) {
	// From a file: keys left out keep their defaults; concurrent 0 means one per CPU.
	c, err := Parse([]byte("issuer: https://login.example.com\nthrottle:\n  failures:\n    per_username: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultThrottle()
	want.Failures.PerUsername = 3
	if c.Throttle != want {
		t.Fatalf("throttle %+v, want %+v", c.Throttle, want)
	}
	// Built in code from a zero Config: zero means "not given".
	z := &Config{Issuer: "https://login.example.com"}
	z.Throttle.Failures.PerIP = 7
	if err := z.Finish(); err != nil {
		t.Fatal(err)
	}
	want = DefaultThrottle()
	want.Failures.PerIP = 7
	if z.Throttle != want {
		t.Fatalf("zero config throttle %+v, want %+v", z.Throttle, want)
	}
}

func TestThrottleValidation(t *testing.T) {
	for field, edit := range map[string]func(*Throttle){
		"throttle.password_checks.concurrent": func(t *Throttle) { t.PasswordChecks.Concurrent = -1 },
		"throttle.password_checks.queue":      func(t *Throttle) { t.PasswordChecks.Queue = -1 },
		"throttle.password_checks.queue_wait": func(t *Throttle) { t.PasswordChecks.QueueWait = -time.Second },
		"throttle.failures.per_username":      func(t *Throttle) { t.Failures.PerUsername = 0 },
		"throttle.failures.per_ip":            func(t *Throttle) { t.Failures.PerIP = 0 },
		"throttle.failures.window":            func(t *Throttle) { t.Failures.Window = 0 },
		"throttle.failures.backoff":           func(t *Throttle) { t.Failures.Backoff = 0 },
		"throttle.failures.max_backoff":       func(t *Throttle) { t.Failures.MaxBackoff = time.Millisecond },
		"throttle.requests.per_ip_kib":        func(t *Throttle) { t.Requests.PerIPKiB = -3 },
		"throttle.requests.per_client_kib":    func(t *Throttle) { t.Requests.PerClientKiB = 15 },
		"throttle.requests.window":            func(t *Throttle) { t.Requests.Window = -time.Minute },
		"throttle.tracked_keys":               func(t *Throttle) { t.TrackedKeys = 10 },
	} {
		c := validConfig(t)
		edit(&c.Throttle)
		err := c.Finish()
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s: Finish() = %v, want a problem naming the field", field, err)
		}
	}
}

func TestManyHashClassesWarn(t *testing.T) {
	c := validConfig(t)
	c.Users = append(c.Users,
		User{Username: "carol", Password: "x", Subject: "sub-carol"}, // plain: hashed after validation, not counted
		User{Username: "dave", PasswordHash: "$2a$04$abcdefghijklmnopqrstuuJ6Xd8m9QyA2Hq6Xo9I8bVxV6t1oQ3C", Subject: "sub-dave"},
		User{Username: "erin", PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$BurAzHv1iNsvY2ktFhmRWhz5sjBEXDcB", Subject: "sub-erin"},
	)
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, w := range c.Warnings() {
		found = found || strings.Contains(w, "rehash them to one setting")
	}
	if !found {
		t.Fatalf("no warning about three hash classes in %v", c.Warnings())
	}
}
