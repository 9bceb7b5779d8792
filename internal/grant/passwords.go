package grant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/audit"
	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/directory"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/throttle"
)

// Passwords checks user passwords for the password grant and the login page
// alike, so both are throttled the same way (RFC 6749 §10.10 and §4.3.2:
// the server must protect password checks against guessing):
//
//   - a global gate bounds the checks running at once; beyond it and its
//     short queue a request is shed (*Throttled with Busy) instead of
//     holding 19 MiB of argon2id memory;
//   - failures are counted per username and per client address; past the
//     free ones a key is refused for a doubling delay (*Throttled);
//   - every check computes the same hashes whoever asks (secret.Equaliser).
//
// Nothing here depends on whether the username exists: an unknown username
// is counted, throttled and answered exactly as a known one.
type Passwords struct {
	users  Users
	hashes []string // the configuration's users' hashes (UseStore)
	equal  *secret.Equaliser
	gate   *throttle.Gate
	byUser *throttle.Backoff
	byIP   *throttle.Backoff
	now    func() time.Time
	log    *slog.Logger

	lastBusyLog atomic.Int64 // unix seconds of the last "shedding" warning

	trail audit.Recorder // SetTrail (trail.go); nil: no audit trail
	node  string
}

// NewPasswords builds the checker for cfg's users and throttle settings.
func NewPasswords(cfg *config.Config, now func() time.Time, log *slog.Logger) (*Passwords, error) {
	hashes := make([]string, 0, len(cfg.Users))
	for _, u := range cfg.Users {
		hashes = append(hashes, u.PasswordHash)
	}
	eq, err := secret.NewEqualiser(hashes)
	if err != nil {
		return nil, fmt.Errorf("password checks: %w", err)
	}
	t := cfg.Throttle
	slots := t.PasswordChecks.Concurrent
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	backoff := func(free int) *throttle.Backoff {
		return throttle.NewBackoff(throttle.BackoffPolicy{Free: free, Window: t.Failures.Window,
			Base: t.Failures.Backoff, Max: t.Failures.MaxBackoff, MaxKeys: t.TrackedKeys})
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Passwords{
		users: directory.NewUsers(cfg, nil), hashes: hashes, equal: eq, now: now, log: log,
		gate:   throttle.NewGate(slots, t.PasswordChecks.Queue, t.PasswordChecks.QueueWait),
		byUser: backoff(t.Failures.PerUsername),
		byIP:   backoff(t.Failures.PerIP),
	}, nil
}

// UseStore makes the checks find users in users, the configuration's and
// the store's (directory.Users), instead of the configuration's alone.
// Store users are hashed by secret.HashPassword, so its cost class joins
// the equaliser: checking a store user, a file user or an unknown name
// computes the same hashes (an unknown name still costs one of each).
func (p *Passwords) UseStore(users Users) error {
	h, err := secret.HashPassword(secret.Generate())
	if err != nil {
		return fmt.Errorf("password checks: %w", err)
	}
	eq, err := secret.NewEqualiser(append(slices.Clone(p.hashes), h))
	if err != nil {
		return fmt.Errorf("password checks: %w", err)
	}
	p.users, p.equal = users, eq
	return nil
}

// PasswordChecks returns h.Passwords; a Handler wired without them is an
// internal error, never a check skipped.
func (h *Handler) PasswordChecks() (*Passwords, error) {
	if h.Passwords == nil {
		return nil, errors.New("grant: Handler.Passwords is not set")
	}
	return h.Passwords, nil
}

// Attempt is one sign-in to check.
type Attempt struct {
	Username, Password string
	RemoteIP           string // the caller's address: the browser's, or the client's for the password grant
	ClientID           string // for the log
	Via                string // "login_page" or "password_grant", for the log
}

// ErrBadCredentials is one neutral refusal for an unknown user, a disabled
// user and a wrong password: it never says which.
var ErrBadCredentials = errors.New("the username or password is incorrect")

// Throttled refuses an attempt before any password is checked: the
// username or address failed too often (Busy false), or every check slot
// is taken (Busy true). Try again after RetryAfter.
type Throttled struct {
	RetryAfter time.Duration
	Busy       bool
}

func (t *Throttled) Error() string {
	if t.Busy {
		return "too many password checks in progress"
	}
	return "too many failed sign-ins"
}

// Check verifies a's password. It returns the user, or ErrBadCredentials,
// or a *Throttled, or an internal error.
func (p *Passwords) Check(ctx context.Context, a Attempt) (*config.User, error) {
	now := p.now()
	ip := throttle.AddressKey(a.RemoteIP)
	if w := p.byUser.Begin(a.Username, now); w > 0 {
		return nil, p.throttled(ctx, a, w)
	}
	if w := p.byIP.Begin(ip, now); w > 0 {
		p.byUser.Release(a.Username)
		return nil, p.throttled(ctx, a, w)
	}
	release, err := p.gate.Enter(ctx)
	if err != nil {
		p.byUser.Release(a.Username)
		p.byIP.Release(ip)
		p.shedding(ctx)
		return nil, &Throttled{RetryAfter: p.gate.Wait(), Busy: true}
	}
	u, err := p.users.User(ctx, a.Username)
	if err != nil {
		// The store could not tell: not the user's failure, so nothing is
		// counted against the name or the address.
		release()
		p.byUser.Release(a.Username)
		p.byIP.Release(ip)
		return nil, err
	}
	known := u != nil
	hash := ""
	if known {
		hash = u.PasswordHash
	}
	ok, err := p.equal.Verify(hash, a.Password)
	release()
	var reason string
	switch {
	case err != nil:
		p.byUser.Release(a.Username)
		p.byIP.Release(ip)
		return nil, err
	case !known:
		reason = "unknown user"
	case !ok || a.Password == "":
		reason = "wrong password"
	case u.Disabled:
		reason = "user disabled"
	default:
		p.byUser.Forget(a.Username)
		// A success proves nothing about an address many people may share.
		p.byIP.Release(ip)
		// A success is recorded by the caller, once it has what the
		// sign-in led to: the login page's with its session (signin), the
		// password grant's after its grant (password.go).
		return u, nil
	}
	now = p.now()
	dUser, dIP := p.byUser.Fail(a.Username, now), p.byIP.Fail(ip, now)
	// Who and from where, never the password (issue 10: the log names the
	// username and the remote address of a failed sign-in).
	attrs := []slog.Attr{slog.String("username", logName(a.Username)), slog.String("remote_ip", a.RemoteIP),
		slog.String("via", a.Via), slog.String("reason", reason)}
	if a.ClientID != "" {
		attrs = append(attrs, slog.String("client_id", a.ClientID))
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "sign-in failed", attrs...)
	if !known {
		u = nil
	}
	p.signInEvent(ctx, a, u, strings.ReplaceAll(reason, " ", "_"), now)
	if d := max(dUser, dIP); d > 0 {
		p.log.LogAttrs(ctx, slog.LevelWarn, "sign-ins throttled after repeated failures",
			slog.String("username", logName(a.Username)), slog.String("remote_ip", a.RemoteIP),
			slog.Duration("username_refused_for", dUser), slog.Duration("address_refused_for", dIP))
	}
	return nil, ErrBadCredentials
}

func (p *Passwords) throttled(ctx context.Context, a Attempt, wait time.Duration) error {
	p.log.LogAttrs(ctx, slog.LevelDebug, "sign-in refused while throttled", slog.String("username", logName(a.Username)),
		slog.String("remote_ip", a.RemoteIP), slog.String("via", a.Via), slog.Duration("retry_after", wait))
	return &Throttled{RetryAfter: wait}
}

// shedding warns that checks are being shed, at most every 10 seconds so a
// flood does not become a flood of log lines.
func (p *Passwords) shedding(ctx context.Context) {
	now := time.Now().Unix()
	last := p.lastBusyLog.Load()
	if now-last >= 10 && p.lastBusyLog.CompareAndSwap(last, now) {
		p.log.LogAttrs(ctx, slog.LevelWarn, "password checks at capacity: shedding sign-ins with 429")
	}
}

// logName bounds a username for the log: the field may hold anything.
func logName(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
