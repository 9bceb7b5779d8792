package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/authorize"
	"github.com/tollgate-oidc/tollgate/internal/mint"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/requestobject"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Parked requests: an interaction (the user is signing in or consenting)
// lives 15 minutes; a pushed request 60 seconds (RFC 9126 §2.2 leaves the
// lifetime to the server and suggests one short enough to be used once).
const (
	InteractionPrefix = "tgir_"
	InteractionTTL    = 15 * time.Minute
	RequestURIPrefix  = "urn:ietf:params:oauth:request_uri:"
	PushedTTL         = 60 * time.Second
	maxHandle         = 100 // longer is no handle of ours: not worth a hash and a lookup
)

// Admit is asked before a request is stored, with the size of what would
// be stored: the edge's budget per address and client (nobody has signed
// in yet, so nothing else bounds what a caller can make the server keep).
// nil admits everything.
type Admit func(size int) error

// ErrStale is shown when a sign-in page is used after its request ended.
var ErrStale = &authorize.PageError{Code: oautherr.InvalidRequest,
	Message: "this sign-in request has expired or was already completed; go back to the application and start again"}

var errUnknownURI = &authorize.PageError{Code: "invalid_request_uri", Message: "the request_uri is unknown, expired or already used; push the request again"}

// encode is the one encoding of a parked row's Params: JSON, not
// HTML-escaped (a state full of "<" would otherwise take six bytes per
// character in the row). An interaction holds an authorize.Request, a
// pushed request its url.Values.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(b.Bytes()), nil
}

// Park stores a validated request while the user signs in or consents and
// returns the handle the pages carry.
func (s *Service) Park(ctx context.Context, req authorize.Request, admit Admit) (string, error) {
	params, err := encode(req)
	if err != nil {
		return "", oautherr.Server(err)
	}
	if admit != nil {
		if err := admit(len(params)); err != nil {
			return "", err
		}
	}
	handle := InteractionPrefix + secret.Generate()
	now := s.Now()
	if err := s.Store.CreateAuthRequest(ctx, store.AuthRequest{
		ID: mint.HashToken(handle), ClientID: req.ClientID, Params: params,
		CreatedAt: now, ExpiresAt: now.Add(InteractionTTL),
	}); err != nil {
		return "", oautherr.Server(err)
	}
	return handle, nil
}

// live reads a parked row by handle: ErrNotFound-free, an unknown, used
// or expired one is stale.
func (s *Service) live(ctx context.Context, id string, stale error) (store.AuthRequest, error) {
	rec, err := s.Store.AuthRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return rec, stale
	}
	if err != nil {
		return rec, oautherr.Server(err)
	}
	// A parked request lives until ExpiresAt, not at it.
	if !rec.ConsumedAt.IsZero() || !s.Now().Before(rec.ExpiresAt) {
		return rec, stale
	}
	return rec, nil
}

// Parked returns a live parked request by handle, with its row (whose
// CreatedAt is when the request arrived).
func (s *Service) Parked(ctx context.Context, handle string) (authorize.Request, store.AuthRequest, error) {
	var req authorize.Request
	if !strings.HasPrefix(handle, InteractionPrefix) || len(handle) > maxHandle {
		return req, store.AuthRequest{}, ErrStale
	}
	rec, err := s.live(ctx, mint.HashToken(handle), ErrStale)
	if err != nil {
		return req, rec, err
	}
	if err := json.Unmarshal(rec.Params, &req); err != nil {
		return req, rec, oautherr.Server(err)
	}
	return req, rec, nil
}

// Finish uses a parked request up, so its pages cannot complete it twice:
// of two racing, one wins and the other is stale.
func (s *Service) Finish(ctx context.Context, handle string) error {
	_, err := s.Store.ConsumeAuthRequest(ctx, mint.HashToken(handle), s.Now())
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return ErrStale
	}
	return err
}

// Push stores the parameters a client pushed (RFC 9126 §2.2) for clientID
// and returns the request_uri and its lifetime.
func (s *Service) Push(ctx context.Context, clientID string, params url.Values, admit Admit) (string, time.Duration, error) {
	stored, err := encode(params)
	if err != nil {
		return "", 0, oautherr.Server(err)
	}
	if admit != nil {
		if err := admit(len(stored)); err != nil {
			return "", 0, err
		}
	}
	handle := secret.Generate()
	now := s.Now()
	if err := s.Store.CreateAuthRequest(ctx, store.AuthRequest{
		ID: mint.HashToken(handle), ClientID: clientID, Params: stored, CreatedAt: now, ExpiresAt: now.Add(PushedTTL),
	}); err != nil {
		return "", 0, oautherr.Server(err)
	}
	return RequestURIPrefix + handle, PushedTTL, nil
}

// Pushed returns the parameters a client pushed (RFC 9126 §4). The
// request_uri is single use, bound to the client that pushed it, and valid
// for PushedTTL. The client is checked before the request_uri is used up,
// so a wrong client_id (a leaked or guessed request_uri) cannot burn it for
// the client that pushed it.
func (s *Service) Pushed(ctx context.Context, requestURI, clientID string) (url.Values, error) {
	handle, ok := strings.CutPrefix(requestURI, RequestURIPrefix)
	if !ok {
		// RFC 9101 §10.4: request_uri by reference is not supported, only PAR's.
		return nil, &authorize.PageError{Code: requestobject.RequestURINotSupported, Message: "only a request_uri from this server's PAR endpoint is accepted; send the request object by value (request) or push it"}
	}
	// An interaction handle names a parked request, never a pushed one.
	if len(handle) > maxHandle || strings.HasPrefix(handle, InteractionPrefix) {
		return nil, errUnknownURI
	}
	id := mint.HashToken(handle)
	rec, err := s.live(ctx, id, errUnknownURI)
	if err != nil {
		return nil, err
	}
	if rec.ClientID != clientID {
		return nil, &authorize.PageError{Code: "invalid_request_uri", Message: "the request_uri was pushed by another client"}
	}
	// Consumption is the atomic step: of two uses racing, one wins.
	rec, err = s.Store.ConsumeAuthRequest(ctx, id, s.Now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return nil, errUnknownURI
	}
	if err != nil {
		return nil, oautherr.Server(err)
	}
	return decodePushed(rec.Params)
}

// decodePushed reads a pushed row. Rows written before the one encoding
// (JSON) hold form encoding; url.Values.Encode escapes "{", so such a row
// never starts with one and the two cannot be confused. A pushed row lives
// 60 seconds, so the fallback matters only across the upgrade itself.
func decodePushed(b []byte) (url.Values, error) {
	if len(b) == 0 || b[0] != '{' {
		v, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, oautherr.Server(err)
		}
		return v, nil
	}
	var v url.Values
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, oautherr.Server(err)
	}
	return v, nil
}
