package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

func copyRequest(r store.AuthRequest) store.AuthRequest {
	if len(r.Params) == 0 {
		r.Params = nil
	} else {
		r.Params = slices.Clone(r.Params)
	}
	r.CreatedAt, r.ExpiresAt, r.ConsumedAt = norm(r.CreatedAt), norm(r.ExpiresAt), norm(r.ConsumedAt)
	return r
}

func copySession(s store.Session) store.Session {
	s.AMR = list(s.AMR)
	s.AuthTime, s.CreatedAt, s.ExpiresAt = norm(s.AuthTime), norm(s.CreatedAt), norm(s.ExpiresAt)
	return s
}

func copyConsent(c store.Consent) store.Consent {
	c.Scopes = list(c.Scopes)
	c.CreatedAt, c.ExpiresAt = norm(c.CreatedAt), norm(c.ExpiresAt)
	return c
}

// CreateAuthRequest implements store.Store.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	if err := s.lock(ctx, "create auth request"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.requests[r.ID]; ok {
		return conflict("create auth request")
	}
	s.requests[r.ID] = copyRequest(r)
	return nil
}

// AuthRequest implements store.Store.
func (s *Store) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	if err := s.lock(ctx, "auth request"); err != nil {
		return store.AuthRequest{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return store.AuthRequest{}, notFound("auth request")
	}
	return copyRequest(r), nil
}

// ConsumeAuthRequest implements store.Store.
func (s *Store) ConsumeAuthRequest(ctx context.Context, id string, at time.Time) (store.AuthRequest, error) {
	if at.IsZero() {
		return store.AuthRequest{}, zeroTime("consume auth request")
	}
	if err := s.lock(ctx, "consume auth request"); err != nil {
		return store.AuthRequest{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return store.AuthRequest{}, notFound("consume auth request")
	}
	if !r.ConsumedAt.IsZero() {
		return copyRequest(r), conflict("consume auth request")
	}
	r.ConsumedAt = norm(at)
	s.requests[id] = r
	return copyRequest(r), nil
}

// CreateSession implements store.Store.
func (s *Store) CreateSession(ctx context.Context, ss store.Session, ev store.Event) error {
	if err := s.lock(ctx, "create session"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.sessions[ss.ID]; ok {
		return conflict("create session")
	}
	if _, ok := s.sids[ss.SID]; ok {
		return conflict("create session")
	}
	s.sessions[ss.ID] = copySession(ss)
	s.sids[ss.SID] = ss.ID
	s.record(ev, ss.CreatedAt, store.Grant{Subject: ss.Subject, SessionID: ss.SID})
	return nil
}

// Session implements store.Store.
func (s *Store) Session(ctx context.Context, id string) (store.Session, error) {
	if err := s.lock(ctx, "session"); err != nil {
		return store.Session{}, err
	}
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok {
		return store.Session{}, notFound("session")
	}
	return copySession(ss), nil
}

// DeleteSession implements store.Store.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.lock(ctx, "delete session"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if ss, ok := s.sessions[id]; ok {
		delete(s.sessions, id)
		delete(s.sids, ss.SID)
	}
	return nil
}

// SaveConsent implements store.Store: the whole record is replaced.
func (s *Store) SaveConsent(ctx context.Context, c store.Consent) error {
	if err := s.lock(ctx, "save consent"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.consents[consentKey{c.Subject, c.ClientID}] = copyConsent(c)
	return nil
}

// Consent implements store.Store.
func (s *Store) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	if err := s.lock(ctx, "consent"); err != nil {
		return store.Consent{}, err
	}
	defer s.mu.Unlock()
	c, ok := s.consents[consentKey{subject, clientID}]
	if !ok {
		return store.Consent{}, notFound("consent")
	}
	return copyConsent(c), nil
}
