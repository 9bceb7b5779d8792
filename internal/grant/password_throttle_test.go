package grant

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/testclock"
)

// Cheap hashes keep these tests fast; the checks are the production ones.
const pwAlice, pwBob = "alice-password", "bob-password"

var (
	hashAlice = func() string { b, _ := bcrypt.GenerateFromPassword([]byte(pwAlice), bcrypt.MinCost); return string(b) }()
	// argon2id at m=64 KiB, t=1: a second cost class.
	hashBob = "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$" +
		base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(pwBob), []byte("somesalt"), 1, 64, 1, 32))
)

type pwFixture struct {
	h    *Handler
	cfg  *config.Config
	p    *Passwords
	clk  *testclock.Clock
	logs *bytes.Buffer
}

// newPwFixture builds a Handler with the production password checks over
// alice (bcrypt), bob (argon2id) and a disabled carol; edit changes the
// throttle settings.
func newPwFixture(t *testing.T, edit func(*config.Throttle)) *pwFixture {
	t.Helper()
	cfg := &config.Config{Issuer: "https://login.example.com",
		Clients: []config.Client{{ID: "app", Secret: strings.Repeat("s", 40), GrantTypes: []string{"password"}, Scopes: []string{"openid"}}},
		Users: []config.User{
			{Username: "alice", PasswordHash: hashAlice, Subject: "sub-alice"},
			{Username: "bob", PasswordHash: hashBob, Subject: "sub-bob"},
			{Username: "carol", PasswordHash: hashAlice, Subject: "sub-carol", Disabled: true},
		},
		Throttle: config.Throttle{
			PasswordChecks: config.PasswordChecks{Concurrent: 4, Queue: 0},
			Failures:       config.Failures{PerUsername: 3, PerIP: 1000, Window: time.Hour, Backoff: time.Second, MaxBackoff: time.Minute},
		},
	}
	if edit != nil {
		edit(&cfg.Throttle)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatal(err)
	}
	clk := testclock.At(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logs := &bytes.Buffer{}
	p, err := NewPasswords(cfg, clk.Now, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return &pwFixture{cfg: cfg, h: &Handler{Users: directory.NewUsers(cfg, nil), Passwords: p, Now: clk.Now, Log: slog.New(slog.DiscardHandler)}, p: p, clk: clk, logs: logs}
}

func (f *pwFixture) check(user, pw, ip string) error {
	_, err := f.p.Check(context.Background(), Attempt{Username: user, Password: pw, RemoteIP: ip, Via: "test"})
	return err
}

// outcome names an answer: "ok", "bad", "throttled 2s", "busy 1s".
func outcome(err error) string {
	var th *Throttled
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrBadCredentials):
		return "bad"
	case errors.As(err, &th) && th.Busy:
		return fmt.Sprintf("busy %ds", ThrottledError(th).RetryAfter)
	case errors.As(err, &th):
		return fmt.Sprintf("throttled %ds", ThrottledError(th).RetryAfter)
	}
	return "error: " + err.Error()
}

func TestPasswordFailuresThrottlePerUsernameAcrossAddresses(t *testing.T) {
	f := newPwFixture(t, nil)
	// Three free failures, each from another address, then the fourth
	// (admitted) fails and refuses alice for 1s, whatever the address.
	for i := range 4 {
		if got := outcome(f.check("alice", "guess", fmt.Sprintf("198.51.100.%d", i))); got != "bad" {
			t.Fatalf("failure %d: %s", i+1, got)
		}
	}
	if got := outcome(f.check("alice", "guess", "203.0.113.9")); got != "throttled 1s" {
		t.Fatalf("5th guess from a new address: %s, want throttled 1s", got)
	}
	// The right password is not even checked while refused.
	if got := outcome(f.check("alice", pwAlice, "203.0.113.9")); got != "throttled 1s" {
		t.Fatalf("right password while refused: %s", got)
	}
	// Another user is untouched.
	if got := outcome(f.check("bob", pwBob, "203.0.113.9")); got != "ok" {
		t.Fatalf("bob: %s", got)
	}
	// The next failure doubles the delay.
	f.clk.Add(time.Second)
	f.check("alice", "guess", "203.0.113.9")
	if got := outcome(f.check("alice", "guess", "203.0.113.9")); got != "throttled 2s" {
		t.Fatalf("after the next failure: %s, want throttled 2s", got)
	}
	// Once the delay is over the right password works, and clears alice.
	f.clk.Add(2 * time.Second)
	if got := outcome(f.check("alice", pwAlice, "203.0.113.9")); got != "ok" {
		t.Fatalf("right password after the delay: %s", got)
	}
	for i := range 3 {
		if got := outcome(f.check("alice", "guess", "203.0.113.9")); got != "bad" {
			t.Fatalf("after a success, free failure %d: %s", i+1, got)
		}
	}
}

// TestUnknownUsernameIsThrottledExactlyAsAKnownOne: the same guesses at a
// known user, an unknown one and a disabled one give the same answers, in
// the same order, through the token endpoint's error too.
func TestUnknownUsernameIsThrottledExactlyAsAKnownOne(t *testing.T) {
	run := func(user string) []string {
		f := newPwFixture(t, nil)
		var seq []string
		for i := range 8 {
			_, err := f.h.Exchange(context.Background(), Request{GrantType: TypePassword, Client: f.client(t),
				Username: user, Password: "guess", RemoteIP: "192.0.2.1"})
			e := oautherr.As(err)
			seq = append(seq, fmt.Sprintf("%d %s %q retry=%d", e.Status, e.Code, e.Description, e.RetryAfter))
			if i%3 == 2 {
				f.clk.Add(time.Second)
			}
		}
		return seq
	}
	known, unknown, disabled := run("alice"), run("nobody"), run("carol")
	for i := range known {
		if known[i] != unknown[i] || known[i] != disabled[i] {
			t.Fatalf("answer %d differs:\n known    %s\n unknown  %s\n disabled %s", i+1, known[i], unknown[i], disabled[i])
		}
	}
	if !strings.HasPrefix(known[4], "429 temporarily_unavailable") || !strings.HasSuffix(known[4], "retry=1") {
		t.Fatalf("5th guess answered %s, want 429 temporarily_unavailable with Retry-After 1", known[4])
	}
	if !strings.HasPrefix(known[0], "400 invalid_grant") {
		t.Fatalf("1st guess answered %s", known[0])
	}
}

func (f *pwFixture) client(t *testing.T) *config.Client {
	c, ok := f.cfg.Client("app")
	if !ok {
		t.Fatal("no client app")
	}
	return c
}

func TestPasswordFailuresThrottlePerAddress(t *testing.T) {
	f := newPwFixture(t, func(th *config.Throttle) { th.Failures.PerIP = 4; th.Failures.PerUsername = 100 })
	for i := range 5 {
		if got := outcome(f.check(fmt.Sprint("user", i), "guess", "2001:db8:1:2::1")); got != "bad" {
			t.Fatalf("failure %d: %s", i+1, got)
		}
	}
	// Another address in the same /64 is the same key.
	if got := outcome(f.check("alice", pwAlice, "2001:db8:1:2::ffff")); got != "throttled 1s" {
		t.Fatalf("same /64: %s, want throttled 1s", got)
	}
	if got := outcome(f.check("alice", pwAlice, "2001:db8:1:3::1")); got != "ok" {
		t.Fatalf("another /64: %s", got)
	}
	// A success from the address does not clear it: one valid account
	// must not let an attacker reset its address between guesses.
	f.clk.Add(time.Second)
	if got := outcome(f.check("alice", pwAlice, "2001:db8:1:2::1")); got != "ok" {
		t.Fatalf("alice after the delay: %s", got)
	}
	f.check("user9", "guess", "2001:db8:1:2::1")
	if got := outcome(f.check("user10", "guess", "2001:db8:1:2::1")); !strings.HasPrefix(got, "throttled") {
		t.Fatalf("after a success the address started over: %s", got)
	}
}

func TestBusyPasswordChecksAreShedWith429(t *testing.T) {
	f := newPwFixture(t, func(th *config.Throttle) {
		th.PasswordChecks = config.PasswordChecks{Concurrent: 1, Queue: 0, QueueWait: 2 * time.Second}
	})
	// Take the only slot, as a long check would.
	release, err := f.p.gate.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.h.Exchange(context.Background(), Request{GrantType: TypePassword, Client: f.client(t),
		Username: "alice", Password: pwAlice, RemoteIP: "192.0.2.1"})
	e := oautherr.As(err)
	if e.Status != http.StatusTooManyRequests || e.Code != oautherr.TemporarilyUnavailable || e.RetryAfter != 2 {
		t.Fatalf("answer with every slot taken: %d %s retry=%d (%s)", e.Status, e.Code, e.RetryAfter, e.Description)
	}
	release()
	// A shed attempt counts as no failure: alice signs in at once after.
	if got := outcome(f.check("alice", pwAlice, "192.0.2.1")); got != "ok" {
		t.Fatalf("after the slot was freed: %s", got)
	}
	for range 3 {
		if got := outcome(f.check("alice", "guess", "192.0.2.1")); got != "bad" {
			t.Fatalf("shed attempts were counted as failures: %s", got)
		}
	}
}

func TestFailedSignInLogNamesUserAndAddressNeverThePassword(t *testing.T) {
	f := newPwFixture(t, nil)
	f.check("alice", "s3cret-guess-1", "198.51.100.7")
	f.check("nobody", "s3cret-guess-2", "198.51.100.8")
	logs := f.logs.String()
	for _, want := range []string{
		`msg="sign-in failed" username=alice remote_ip=198.51.100.7 via=test reason="wrong password"`,
		`msg="sign-in failed" username=nobody remote_ip=198.51.100.8 via=test reason="unknown user"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "s3cret-guess") {
		t.Fatalf("a password reached the log:\n%s", logs)
	}
}

// TestPasswordChecksEqualiseOverEveryUsersHashKind wires flaw 6 of issue
// 10: the checks compute one hash of each class the users have (bcrypt for
// alice and carol, argon2id for bob), known user or not (the equaliser's
// own test records the computations).
func TestPasswordChecksEqualiseOverEveryUsersHashKind(t *testing.T) {
	f := newPwFixture(t, nil)
	want := []string{"argon2id m=64 t=1 p=1 len=32", "bcrypt cost=4"}
	if got := f.p.equal.Classes(); !slices.Equal(got, want) {
		t.Fatalf("classes %v, want %v", got, want)
	}
}

// TestPasswordGrantWithoutChecksIsAnInternalError: a Handler wired without
// its password checks answers server_error; it never checks a password
// unthrottled, or not at all.
func TestPasswordGrantWithoutChecksIsAnInternalError(t *testing.T) {
	f := newPwFixture(t, nil)
	f.h.Passwords = nil
	_, err := f.h.Exchange(context.Background(), Request{GrantType: TypePassword, Client: f.client(t),
		Username: "alice", Password: pwAlice})
	if e := oautherr.As(err); e.Code != oautherr.ServerError {
		t.Fatalf("password grant without checks: %v, want server_error", err)
	}
}
