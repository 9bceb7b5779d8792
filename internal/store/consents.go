package store

import (
	"context"
	"time"
)

// ConsentLister is a person's view of what they consented to (the account
// page, internal/account): every remembered consent of a subject, and
// forgetting one, so the next sign-in to that client asks again.
type ConsentLister interface {
	// ListConsents returns up to MaxConsentList consents of subject, by
	// client id, expired ones included (the caller decides what is live).
	// The key (subject, client_id) is the table's primary key, so this is
	// one index range.
	ListConsents(ctx context.Context, subject string) ([]Consent, error)
	// DeleteConsent removes the consent of subject for clientID and reports
	// whether there was one, writing ev (consent_withdrawn) in the same
	// transaction when there was. Another subject's consent is never
	// touched.
	DeleteConsent(ctx context.Context, subject, clientID string, ev Event) (bool, error)
}

// MaxConsentList bounds ListConsents: one consent per client a person has
// used, so a person with more is not a person.
const MaxConsentList = 500

// Live reports whether the consent is still in force at now: one with a
// zero ExpiresAt lasts until withdrawn, any other ends at its ExpiresAt
// (the instant itself included). The one rule for the consent page and
// the account page alike.
func (c Consent) Live(now time.Time) bool {
	return c.ExpiresAt.IsZero() || now.Before(c.ExpiresAt)
}
