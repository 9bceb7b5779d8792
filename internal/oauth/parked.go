package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/requestobject"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Parked requests: an interaction (the user is signing in or consenting)
// lives 15 minutes; a pushed request 60 seconds (RFC 9126 §2.2).
const (
	interactionPrefix = "tgir_"
	interactionTTL    = 15 * time.Minute
	requestURIPrefix  = "urn:ietf:params:oauth:request_uri:"
	pushedTTL         = 60 * time.Second
)

// park stores a validated request while the user signs in or consents and
// returns the handle the pages carry. Each park comes out of the budgets of
// the caller's address and the client (admitStored): nobody has signed in
// yet, so nothing else bounds how many a caller can make the server store.
func (s *Server) park(w http.ResponseWriter, r *http.Request, req authorize.Request) (string, error) {
	// Not HTML-escaped: a state full of "<" would otherwise take six bytes
	// per character in the row.
	var params bytes.Buffer
	enc := json.NewEncoder(&params)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		return "", oautherr.Server(err)
	}
	if e := s.admitStored(r, req.ClientID, params.Len()); e != nil {
		setRetryAfter(w, e)
		return "", e
	}
	handle := interactionPrefix + randomValue()
	now := s.Now()
	err := s.Store.CreateAuthRequest(r.Context(), store.AuthRequest{
		ID: mint.HashToken(handle), ClientID: req.ClientID, Params: bytes.TrimSpace(params.Bytes()),
		CreatedAt: now, ExpiresAt: now.Add(interactionTTL),
	})
	if err != nil {
		return "", oautherr.Server(err)
	}
	return handle, nil
}

// errStale is shown when a sign-in page is used after its request ended.
var errStale = &authorize.PageError{Code: oautherr.InvalidRequest,
	Message: "this sign-in request has expired or was already completed; go back to the application and start again"}

// parked returns a live parked request by handle.
func (s *Server) parked(ctx context.Context, handle string) (authorize.Request, store.AuthRequest, error) {
	var req authorize.Request
	if !strings.HasPrefix(handle, interactionPrefix) || len(handle) > 100 {
		return req, store.AuthRequest{}, errStale
	}
	rec, err := s.Store.AuthRequest(ctx, mint.HashToken(handle))
	if errors.Is(err, store.ErrNotFound) {
		return req, rec, errStale
	}
	if err != nil {
		return req, rec, oautherr.Server(err)
	}
	if !rec.ConsumedAt.IsZero() || !s.Now().Before(rec.ExpiresAt) {
		return req, rec, errStale
	}
	if err := json.Unmarshal(rec.Params, &req); err != nil {
		return req, rec, oautherr.Server(err)
	}
	return req, rec, nil
}

// finishParked uses a parked request up, so its pages cannot complete it twice.
func (s *Server) finishParked(ctx context.Context, handle string) error {
	_, err := s.Store.ConsumeAuthRequest(ctx, mint.HashToken(handle), s.Now())
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return errStale
	}
	return err
}

// pushed returns the parameters a client pushed (RFC 9126 §4). The
// request_uri is single use, bound to the client that pushed it, and valid
// for 60 seconds. The client is checked before the request_uri is used up,
// so a wrong client_id (a leaked or guessed request_uri) cannot burn it for
// the client that pushed it.
func (s *Server) pushed(ctx context.Context, requestURI, clientID string) (url.Values, error) {
	bad := &authorize.PageError{Code: "invalid_request_uri", Message: "the request_uri is unknown, expired or already used; push the request again"}
	if !strings.HasPrefix(requestURI, requestURIPrefix) {
		// RFC 9101 §10.4: request_uri by reference is not supported, only PAR's.
		return nil, &authorize.PageError{Code: requestobject.RequestURINotSupported, Message: "only a request_uri from this server's PAR endpoint is accepted; send the request object by value (request) or push it"}
	}
	handle, ok := strings.CutPrefix(requestURI, requestURIPrefix)
	// An interaction handle names a parked request, never a pushed one.
	if !ok || len(handle) > 100 || strings.HasPrefix(handle, interactionPrefix) {
		return nil, bad
	}
	id := mint.HashToken(handle)
	rec, err := s.Store.AuthRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, oautherr.Server(err)
	}
	if !rec.ConsumedAt.IsZero() || !s.Now().Before(rec.ExpiresAt) {
		return nil, bad
	}
	if rec.ClientID != clientID {
		return nil, &authorize.PageError{Code: "invalid_request_uri", Message: "the request_uri was pushed by another client"}
	}
	// Consumption is the atomic step: of two uses racing, one wins.
	rec, err = s.Store.ConsumeAuthRequest(ctx, id, s.Now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return nil, bad
	}
	if err != nil {
		return nil, oautherr.Server(err)
	}
	return url.ParseQuery(string(rec.Params))
}
