package memstore

import (
	"context"
	"sort"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ListConsents implements store.ConsentLister.
func (s *Store) ListConsents(ctx context.Context, subject string) ([]store.Consent, error) {
	if err := s.lock(ctx, "list consents"); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Consent
	for k, c := range s.consents {
		if k.subject == subject {
			out = append(out, copyConsent(c))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	if len(out) > store.MaxConsentList {
		out = out[:store.MaxConsentList]
	}
	return out, nil
}

// DeleteConsent implements store.ConsentLister.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string, ev store.Event) (bool, error) {
	if err := s.lock(ctx, "delete consent"); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	k := consentKey{subject, clientID}
	_, ok := s.consents[k]
	delete(s.consents, k)
	if ok {
		s.record(ev, time.Now(), store.Grant{ClientID: clientID, Subject: subject})
	}
	return ok, nil
}
