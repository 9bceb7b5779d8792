package oauth

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/reqlog"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// unavailableRetryAfter is the Retry-After, in seconds, of an answer given
// while the store is unreachable: long enough for a connection pool to
// reconnect after a database restart or failover, short enough that a
// client's retry lands soon after it is back.
const unavailableRetryAfter = 2

// asError is oautherr.As, with one more rule: an internal failure caused by
// an unreachable store is 503 temporarily_unavailable with Retry-After
// (RFC 6749 §5.2 leaves server trouble to HTTP; RFC 9110 §15.6.4 and
// §10.2.3; RFC 6749 §4.1.2.1 names the code), never a 500. The client may
// repeat the same request: a store that did not answer committed nothing
// that hands out a token (store.ErrUnavailable), so a refresh retried with
// the same refresh token succeeds. A client's mistake keeps its own 4xx,
// whatever state the store is in.
func asError(err error) *oautherr.Error {
	e := oautherr.As(err)
	if e.Status < http.StatusInternalServerError || !store.Unavailable(e) {
		return e
	}
	return &oautherr.Error{
		Code:        oautherr.TemporarilyUnavailable,
		Status:      http.StatusServiceUnavailable,
		RetryAfter:  unavailableRetryAfter,
		Description: fmt.Sprintf("the server cannot reach its database for a moment; send the same request again in %d seconds", unavailableRetryAfter),
		Cause:       e.Cause,
	}
}

// logFailure logs every error answer once, with the request's client id
// (reqlog.SetClient) and, through the context, its request id. A client's
// mistake (4xx) is logged at info with the OAuth error code, the
// description the client saw and the internal reason when there is one
// (oautherr.Error.Cause): the client caused it, so it is no warning, but an
// operator asking why a client fails must find it. An internal failure is
// an error with its cause; an unreachable store (expected during a
// database restart, and answered 503) a warning.
func (s *Server) logFailure(r *http.Request, msg string, e *oautherr.Error) {
	ctx := r.Context()
	level := slog.LevelInfo
	switch {
	case e.Code == oautherr.TemporarilyUnavailable && e.Status == http.StatusServiceUnavailable:
		level, msg = slog.LevelWarn, msg+": store unavailable"
	case e.Status >= http.StatusInternalServerError:
		level = slog.LevelError
	}
	if !s.Log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("path", r.URL.Path), slog.Int("status", e.Status),
		slog.String("error", e.Code), slog.String(reqlog.AttrClientID, reqlog.ClientID(ctx))}
	if level == slog.LevelInfo {
		attrs = append(attrs, slog.String("description", e.Description))
	}
	if e.Cause != nil {
		attrs = append(attrs, slog.String("reason", errString(e.Cause)))
	}
	s.Log.LogAttrs(ctx, level, msg, attrs...)
}

// unavailablePage answers a browser with the "try again shortly" page: a
// 503 with Retry-After and, for a GET, a link that repeats the request.
// Nothing of the sign-in is lost: a failed write left the parked request
// and the session as they were.
func (s *Server) unavailablePage(w http.ResponseWriter, r *http.Request, uiLocales string, e *oautherr.Error) error {
	noStore(w)
	d := web.UnavailablePage{Lang: s.lang(r, uiLocales), RetryAfter: e.RetryAfter}
	if r.Method == http.MethodGet {
		d.RetryURL = r.URL.RequestURI()
		if err := s.Pages.Unavailable(w, d); err == nil {
			return nil
		}
		d.RetryURL = "" // not a path on this server: no link
	}
	return s.Pages.Unavailable(w, d)
}
