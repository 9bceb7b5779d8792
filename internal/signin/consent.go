package signin

import (
	"context"
	"errors"
	"slices"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Consent returns the live remembered consent of subject for clientID, or
// nil when there is none or it expired (a zero ExpiresAt: until withdrawn).
func (s *Service) Consent(ctx context.Context, subject, clientID string) (*store.Consent, error) {
	c, err := s.Store.Consent(ctx, subject, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case !c.Live(s.Now()):
		return nil, nil
	}
	return &c, nil
}

// Remember stores a consent of subject for clientID: the scopes of a live
// consent remembered before, plus these (an expired one adds nothing).
// What it covers is authorize.Next's to judge; offline_access is asked for
// every time whatever is remembered (OIDC Core §11).
func (s *Service) Remember(ctx context.Context, subject, clientID string, scopes []string) error {
	scopes = slices.Clone(scopes)
	prev, err := s.Consent(ctx, subject, clientID)
	if err != nil {
		return err
	}
	if prev != nil {
		for _, sc := range prev.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	return s.Store.SaveConsent(ctx, store.Consent{Subject: subject, ClientID: clientID, Scopes: scopes, CreatedAt: s.Now()})
}
