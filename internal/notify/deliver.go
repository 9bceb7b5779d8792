package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/refresh"
)

// Kind is what a message is.
type Kind string

const (
	KindSET    Kind = "security_event"     // RFC 8935 push of a SET
	KindLogout Kind = "backchannel_logout" // Back-Channel Logout 1.0 logout token
)

// Result is how a message's delivery ended.
type Result string

const (
	Delivered Result = "delivered" // the receiver accepted it
	Refused   Result = "refused"   // the receiver answered that it never will (400, or another final answer): not retried
	Failed    Result = "failed"    // every attempt failed for a reason a retry might have cured
	Dropped   Result = "dropped"   // the queue was full
	Abandoned Result = "abandoned" // the node shut down before it was delivered
)

// Outcome is one message's fate: a log line now, a metric later.
type Outcome struct {
	Kind     Kind
	ClientID string
	GrantID  string // "" for a logout at the end-session endpoint
	Result   Result
	Attempts int
	Status   int    // the last HTTP status, 0 for none
	Error    string // the receiver's error code, or why no answer came; never a token
}

// job is one message to deliver. build makes the request body for an
// attempt at now: a logout token is signed afresh for each (exp is short),
// a SET's claims are fixed by the revocation.
type job struct {
	kind        Kind
	clientID    string
	grantID     string
	endpoint    string
	contentType string
	ok          func(status int) bool
	build       func(now time.Time) ([]byte, error)
}

// setJob is the SET push of RFC 8935 §2 for r to c.
func (n *Notifier) setJob(c *config.Client, r refresh.Revocation) job {
	jti, alg := newJTI(), c.Tokens.IDTokenSigningAlg
	return job{kind: KindSET, clientID: c.ID, grantID: r.Grant.ID, endpoint: c.SecurityEventPushURI,
		contentType: ContentTypeSET,
		// RFC 8935 §2.2: 202 Accepted, and only that, says it was received.
		ok: func(status int) bool { return status == http.StatusAccepted },
		build: func(time.Time) ([]byte, error) {
			p, err := setPayload(n.o.Issuer, c.ID, jti, r)
			if err != nil {
				return nil, err
			}
			tok, err := sign(n.o.Signers, alg, TypSET, p)
			return []byte(tok), err
		}}
}

// logoutJob is the back-channel logout request of §2.5: a form POST with
// the logout token. It is signed with the client's ID token algorithm
// (§2.4: the keys ID tokens are signed with; the client already verifies
// that algorithm).
func (n *Notifier) logoutJob(c *config.Client, subject, sid, grantID string) job {
	jti, alg := newJTI(), c.Tokens.IDTokenSigningAlg
	return job{kind: KindLogout, clientID: c.ID, grantID: grantID, endpoint: c.BackchannelLogoutURI,
		contentType: "application/x-www-form-urlencoded",
		// §2.8: 200 OK; some frameworks answer 204 No Content instead.
		ok: func(status int) bool { return status == http.StatusOK || status == http.StatusNoContent },
		build: func(now time.Time) ([]byte, error) {
			p, err := logoutPayload(n.o.Issuer, c.ID, jti, subject, sid, now)
			if err != nil {
				return nil, err
			}
			tok, err := sign(n.o.Signers, alg, TypLogout, p)
			if err != nil {
				return nil, err
			}
			return []byte(url.Values{"logout_token": {tok}}.Encode()), nil
		}}
}

// deliver tries j until it is delivered or refused, MaxAttempts are spent,
// or ctx ends, waiting backoff(attempt) between attempts.
func (n *Notifier) deliver(ctx context.Context, j job) {
	for attempt := 1; ; attempt++ {
		out := n.attempt(ctx, j)
		out.Attempts = attempt
		switch {
		case out.Result != "":
		case attempt >= n.o.MaxAttempts:
			out.Result = Failed
		case n.o.Wait(ctx, n.backoff(attempt)) != nil:
			out.Result = Abandoned
		default:
			continue
		}
		n.report(ctx, j, out)
		return
	}
}

// maxAnswer is how much of a receiver's answer is read: enough for the
// error JSON of RFC 8935 §2.3 or Back-Channel §2.8.
const maxAnswer = 4 << 10

// attempt sends j once. Its Result is set when the delivery is over
// (delivered or refused); empty when a retry may succeed.
func (n *Notifier) attempt(ctx context.Context, j job) Outcome {
	body, err := j.build(n.o.Now())
	if err != nil {
		// Signing failed: no key for the client's algorithm. A retry
		// cannot help until the operator acts.
		return Outcome{Result: Refused, Error: "sign: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.endpoint, bytes.NewReader(body))
	if err != nil {
		return Outcome{Result: Refused, Error: "request: " + err.Error()}
	}
	req.Header.Set("Content-Type", j.contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := n.o.HTTP.Do(req)
	if err != nil {
		// Unreachable, timed out, reset: retry. The error names the
		// endpoint, which is configuration, not a secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Outcome{Error: err.Error()}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	out := Outcome{Status: resp.StatusCode}
	switch s := resp.StatusCode; {
	case j.ok(s):
		out.Result = Delivered
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		out.Error = http.StatusText(s) // the receiver may recover: retry
	default:
		// 400 with an error (RFC 8935 §2.3, Back-Channel §2.8), or an
		// answer no retry changes (401, 403, 404, a redirect, a 200 to a
		// SET): final.
		out.Result, out.Error = Refused, errorCode(answer, s)
	}
	return out
}

// errorCode is the receiver's error code ("err" in RFC 8935 §2.3, "error"
// in OAuth style), cut short: it is the receiver's text in our log.
func errorCode(answer []byte, status int) string {
	var e struct {
		Err   string `json:"err"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(answer, &e)
	code := e.Err
	if code == "" {
		code = e.Error
	}
	if code == "" {
		return fmt.Sprintf("HTTP %d", status)
	}
	if len(code) > 64 {
		code = code[:64]
	}
	return code
}

// report logs an outcome and hands it to Observe.
func (n *Notifier) report(ctx context.Context, j job, out Outcome) {
	out.Kind, out.ClientID, out.GrantID = j.kind, j.clientID, j.grantID
	level := slog.LevelInfo
	if out.Result != Delivered {
		level = slog.LevelWarn
	}
	host := ""
	if u, err := url.Parse(j.endpoint); err == nil {
		host = u.Host // not the path or query: a receiver may keep a secret there
	}
	n.o.Log.LogAttrs(ctx, level, "notification "+string(out.Result),
		slog.String("event", "notify_"+string(out.Result)),
		slog.String("kind", string(out.Kind)),
		slog.String("client_id", out.ClientID),
		slog.String("grant_id", out.GrantID),
		slog.String("endpoint_host", host),
		slog.Int("attempts", out.Attempts),
		slog.Int("status", out.Status),
		slog.String("error", out.Error))
	if n.o.Observe != nil {
		n.o.Observe(out)
	}
}
