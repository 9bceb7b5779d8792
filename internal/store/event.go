package store

import "time"

// Event is one entry of the audit trail: who changed what, or was refused
// what, when, from where and through which node. It never holds a token,
// code, secret, password or cookie value.
//
// The store methods that change what an event records take the event and
// write it in the same transaction as the change (CreateGrant, RevokeGrant,
// RevokeGrants, RevokeGrantOrTombstone, AddSigningKey, DeleteSigningKey,
// CreateSession, DeleteConsent, and the client and user writes), so
// the trail can neither miss a change that committed nor record one that
// did not. An Event whose Kind is "" records nothing: tests and bulk tools
// that keep no trail pass the zero Event.
type Event struct {
	ID   string    // unique; the backend fills it when empty
	Time time.Time // when it happened (the caller's clock)
	Kind string    // what happened: the Event* constants
	// Reason says why, for a refusal or revocation ("expired_idle",
	// "reused", "wrong_password", ...); "" when the kind says it all.
	Reason string
	// Actor is who did it: "client", "admin", "user", "logout", "operator"
	// (the command line on the store), "system" (reuse detection, the
	// janitor); ActorID names them (client id, admin name, subject).
	Actor, ActorID string
	Node           string // the node that wrote it
	ClientID       string
	Subject        string
	GrantID        string // for a bulk revocation, the backend fills it per grant
	SessionID      string // the browser session's public sid
	RemoteAddr     string // the caller's address, after the trusted-proxy rules
	UserAgent      string // truncated to a few hundred bytes by the writer
	RequestID      string // the X-Request-Id of the request that caused it
}

// Recorded reports whether the event is to be written (its Kind is set).
func (e Event) Recorded() bool { return e.Kind != "" }

// The kinds of event the audit trail holds.
const (
	EventSignIn         = "sign_in"
	EventSignInFailed   = "sign_in_failed"
	EventGrantCreated   = "grant_created"
	EventRefreshRefused = "refresh_refused"
	EventReuseDetected  = "reuse_detected"
	EventRevoked        = "revoked"
	EventClientChanged  = "client_changed"
	EventUserChanged    = "user_changed"
	EventKeyChanged     = "key_changed"
	// EventConsentWithdrawn: a person forgot a remembered consent on their
	// account page (the next sign-in to that client asks again).
	EventConsentWithdrawn = "consent_withdrawn"
)
