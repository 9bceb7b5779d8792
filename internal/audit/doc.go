// Package audit builds the audit trail's events (store.Event) from a
// request's context: when (the caller's clock), where (the node), which
// request (reqlog's request id, remote address after the trusted-proxy
// rules, user agent) and who acted (WithActor). The policy packages
// (refresh, grant, oauth, keys) fill in what happened and hand the event to
// the store method that makes the change, which writes it in the same
// transaction; a refusal that changes nothing goes through
// store.AuditLog.RecordEvent, and a failure to record it is logged, never
// answered (Refused).
//
// What an event never holds: a token, code, secret, password or cookie
// value, or a username that names no user (it may be a password typed in
// the wrong field).
package audit
