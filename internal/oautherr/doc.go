// Package oautherr holds the one error type every endpoint answers with: an
// RFC 6749 §5.2 error code, a description a client developer can act on, and
// the HTTP status. Policy packages return these (or plain sentinels that the
// edge maps to them); only internal failures become server_error.
package oautherr
