package notify

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// Defaults of Options.
const (
	DefaultQueueSize   = 256
	DefaultWorkers     = 2
	DefaultMaxAttempts = 6
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = time.Minute
	DefaultHTTPTimeout = 10 * time.Second
)

// Clients looks a client up by id (config.Config).
type Clients interface {
	Client(id string) (*config.Client, bool)
}

// Options configure a Notifier. Zero values take the defaults above.
type Options struct {
	Issuer  string  // iss of every token; the issuer without a trailing slash
	Clients Clients // where each client's endpoints are configured
	Signers Signers // the server's signing keys (keys.Set)
	// HTTP sends the messages. nil: a client with DefaultHTTPTimeout that
	// follows no redirect (a receiver's redirect is an answer, not a hop).
	HTTP *http.Client
	Now  func() time.Time // the clock; time.Now when nil
	// Wait pauses a worker between attempts; it returns ctx's error when
	// ctx ends first. nil: a timer. Tests inject one that does not sleep.
	Wait func(ctx context.Context, d time.Duration) error
	Log  *slog.Logger // delivery outcomes; discard when nil
	// Observe is told every outcome: the seam for the delivery metrics of
	// the operate issue. nil: nothing but the log line.
	Observe func(Outcome)

	QueueSize   int           // messages waiting at most; more are dropped
	Workers     int           // messages delivered at once
	MaxAttempts int           // attempts per message, the first included
	Backoff     time.Duration // wait before the second attempt; doubles each time
	MaxBackoff  time.Duration // the longest wait between two attempts
}

// Notifier queues and delivers the messages. It implements
// refresh.Notifier. Run drains the queue.
type Notifier struct {
	o     Options
	queue chan job
}

var _ refresh.Notifier = (*Notifier)(nil)

// New returns a notifier; nothing is sent until Run.
func New(o Options) *Notifier {
	if o.HTTP == nil {
		o.HTTP = &http.Client{
			Timeout:       DefaultHTTPTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Wait == nil {
		o.Wait = sleep
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	for _, d := range []struct {
		v   *int
		def int
	}{{&o.QueueSize, DefaultQueueSize}, {&o.Workers, DefaultWorkers}, {&o.MaxAttempts, DefaultMaxAttempts}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	return &Notifier{o: o, queue: make(chan job, o.QueueSize)}
}

// GrantRevoked queues, for the grant's client, a SET if it configured a
// push endpoint and a logout token if it configured a back-channel logout
// URI. It never blocks: a full queue drops the message, logged.
func (n *Notifier) GrantRevoked(ctx context.Context, r refresh.Revocation) {
	c, ok := n.o.Clients.Client(r.Grant.ClientID)
	if !ok {
		return // the client was removed from the configuration since
	}
	if c.SecurityEventPushURI != "" {
		n.enqueue(ctx, n.setJob(c, r))
	}
	n.logout(ctx, c, r.Grant.Subject, r.Grant.SessionID, r.Grant.ID)
}

// SessionEnded queues a logout token for every client in clients that
// configured back-channel logout, for subject's session sid: the end-session
// endpoint's call (Back-Channel Logout 1.0 §2.7: the OP sends one to each RP
// the user was logged in to in that session).
func (n *Notifier) SessionEnded(ctx context.Context, clients []*config.Client, subject, sid string) {
	for _, c := range clients {
		n.logout(ctx, c, subject, sid, "")
	}
}

// logout queues a logout token for c, unless c has no back-channel logout
// URI, or requires a sid (backchannel_logout_session_required, §2.2) and
// the grant has none (a password grant signs in no browser session).
func (n *Notifier) logout(ctx context.Context, c *config.Client, subject, sid, grantID string) {
	if c.BackchannelLogoutURI == "" {
		return
	}
	if sid == "" && c.BackchannelLogoutSessionRequired {
		n.o.Log.LogAttrs(ctx, slog.LevelInfo, "back-channel logout not sent: the client requires a sid and the grant has no browser session",
			slog.String("event", "notify_skipped"), slog.String("kind", string(KindLogout)),
			slog.String("client_id", c.ID), slog.String("grant_id", grantID))
		return
	}
	n.enqueue(ctx, n.logoutJob(c, subject, sid, grantID))
}

func (n *Notifier) enqueue(ctx context.Context, j job) {
	select {
	case n.queue <- j:
	default:
		n.report(ctx, j, Outcome{Result: Dropped})
	}
}

// Run delivers queued messages with Options.Workers workers until ctx
// ends, then reports what is still queued as abandoned and returns.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range n.o.Workers {
		wg.Go(func() {
			for ctx.Err() == nil { // a stop beats a queued message
				select {
				case <-ctx.Done():
					return
				case j := <-n.queue:
					n.deliver(ctx, j)
				}
			}
		})
	}
	wg.Wait()
	for {
		select {
		case j := <-n.queue:
			n.report(context.Background(), j, Outcome{Result: Abandoned})
		default:
			return
		}
	}
}

// backoff is the wait after the given failed attempt (1-based): Backoff,
// doubled each time, never more than MaxBackoff.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.o.Backoff
	for i := 1; i < attempt && d < n.o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, n.o.MaxBackoff)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
