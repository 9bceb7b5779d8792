package oautherr

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Error codes of RFC 6749 §5.2, RFC 7009 §2.2.1 and RFC 6750 §3.1.
const (
	InvalidRequest          = "invalid_request"
	InvalidClient           = "invalid_client"
	InvalidGrant            = "invalid_grant"
	UnauthorizedClient      = "unauthorized_client"
	UnsupportedGrantType    = "unsupported_grant_type"
	InvalidScope            = "invalid_scope"
	UnsupportedTokenType    = "unsupported_token_type"
	InvalidToken            = "invalid_token"
	InsufficientScope       = "insufficient_scope"
	ServerError             = "server_error"
	TemporarilyUnavailable  = "temporarily_unavailable"
	AccessDenied            = "access_denied"
	UnsupportedResponseType = "unsupported_response_type"
	// RFC 9449 §5, §7.1, §8 (DPoP); 400 at the token endpoint.
	InvalidDPoPProof = "invalid_dpop_proof"
	UseDPoPNonce     = "use_dpop_nonce"
)

// InvalidTarget is RFC 8707 §2's error: "The requested resource is
// invalid, missing, unknown, or malformed" (HTTP 400).
const InvalidTarget = "invalid_target"

// Error is an OAuth error answer. Description is shown to the client
// developer, so it must never carry internal detail (SQL, paths, token values).
type Error struct {
	Code        string
	Description string
	Status      int
	// RetryAfter, when above 0, is sent as a Retry-After header in seconds
	// (RFC 9110 §10.2.3), with a 429 or 503 status.
	RetryAfter int
	// Cause is an internal error kept for the log line only; it is never rendered.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Description, e.Cause)
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Cause }

// New builds an error with the status RFC 6749 §5.2 gives the code.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: StatusFor(code)}
}

// TooManyRequests is the answer to a caller that must wait: 429 (RFC 6585
// §4) with Retry-After in whole seconds, rounded up and at least 1, and
// temporarily_unavailable (RFC 6749 §4.1.2.1, the code for "try again
// later"; RFC 9126 §2.3 allows it at a back-channel endpoint). The
// description is why, followed by how long to wait.
func TooManyRequests(why string, wait time.Duration) *Error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	unit := " seconds"
	if secs == 1 {
		unit = " second"
	}
	return &Error{Code: TemporarilyUnavailable, Status: http.StatusTooManyRequests, RetryAfter: secs,
		Description: why + "; try again in " + strconv.Itoa(secs) + unit}
}

// Server wraps an internal failure: the client sees a generic server_error and
// the cause goes to the log.
func Server(cause error) *Error {
	return &Error{Code: ServerError, Description: "the server met an internal error; try again later", Status: http.StatusInternalServerError, Cause: cause}
}

// StatusFor returns the HTTP status for an error code: 401 for invalid_client
// (RFC 6749 §5.2) and invalid_token (RFC 6750 §3.1), 403 for
// insufficient_scope, 500/503 for server trouble, 400 for the rest.
func StatusFor(code string) int {
	switch code {
	case InvalidClient, InvalidToken:
		return http.StatusUnauthorized
	case InsufficientScope, AccessDenied:
		return http.StatusForbidden
	case ServerError:
		return http.StatusInternalServerError
	case TemporarilyUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

// As returns err as an *Error, turning anything else into server_error.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Server(err)
}
