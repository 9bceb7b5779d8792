// Package notify tells a client, out of band, that one of its grants was
// revoked because a consumed refresh token came back (reuse, or theft told
// apart from a retry: internal/refresh signal.go). Two messages, each to an
// endpoint the client configured, each signed with the server's signing
// keys (internal/keys) and never carrying a token value:
//
//   - a Security Event Token (RFC 8417) pushed per RFC 8935 to the
//     client's security_event_push_uri, with the OpenID CAEP 1.0
//     session-revoked event (tokens.go says why that event);
//   - an OpenID Connect Back-Channel Logout 1.0 logout token POSTed to the
//     client's backchannel_logout_uri, for the grant's browser session.
//
// The request that revoked the grant only queues (GrantRevoked never
// blocks): a bounded in-memory queue, drained by a few workers that retry
// with exponential backoff up to a cap and stop on shutdown. A full queue
// drops the message, and every outcome (delivered, refused, failed,
// dropped, abandoned) is a log line and a call to Options.Observe, the seam
// metrics will use. The queue is per node and in memory: a node that stops
// with messages queued loses them (logged), as a receiver that is down for
// longer than the retries last does.
//
// Policy is plain Go with an injected clock and wait, and an http.Client
// given by the caller.
package notify
