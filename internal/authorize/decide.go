package authorize

import (
	"math"
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/grant"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// Step is what must happen next for an authorization request.
type Step int

// The steps, in the order a request goes through them.
const (
	StepLogin Step = iota + 1
	StepConsent
	StepComplete
)

// Situation is what the decision looks at.
type Situation struct {
	Session  *store.Session // the browser's live session, nil when signed out
	Consent  *store.Consent // the remembered consent of the session's user for the client, nil when none
	ParkedAt time.Time      // when the request was first received
	Resumed  bool           // the user has been sent to login or consent for this request already
	Now      time.Time
}

// Next decides the next step: sign in (no session, prompt=login, max_age
// exceeded), consent (prompt=consent, offline access or a client that
// requires consent, unless a remembered consent covers the scopes), or
// complete. With prompt=none, a step that needs the user is an error the
// client receives (OIDC Core §3.1.2.6).
func Next(req Request, c *config.Client, s Situation) (Step, error) {
	if needsLogin(req, s) {
		if req.Has("none") {
			return 0, oautherr.New("login_required", "the user is not signed in (prompt=none)")
		}
		return StepLogin, nil
	}
	// Every step asks again, the consent form's POST too: a consent given
	// and not remembered leaves this StepConsent, and the form's answer
	// completes the request. So the sign-in checks above always come first.
	if needsConsent(req, c, s.Consent) {
		if req.Has("none") {
			return 0, oautherr.New("consent_required", "the user has not consented to this client's requested access (prompt=none)")
		}
		return StepConsent, nil
	}
	return StepComplete, nil
}

func needsLogin(req Request, s Situation) bool {
	if s.Session == nil {
		return true
	}
	// A sign-in that happened after the request arrived satisfies both
	// prompt=login and max_age.
	if s.Resumed && !s.Session.AuthTime.Before(s.ParkedAt) {
		return false
	}
	if req.Has("login") {
		return true
	}
	// OIDC Core §3.1.2.1: re-authenticate when more than max_age seconds
	// passed since the last active authentication.
	// max_age beyond 68 years means "any age"; capping it keeps the
	// conversion to a Duration from overflowing.
	return req.MaxAge >= 0 && s.Now.Sub(s.Session.AuthTime) > time.Duration(min(req.MaxAge, math.MaxInt32))*time.Second
}

// needsConsent: prompt=consent always asks; offline access always asks
// (OIDC Core §11) and so does a client with require_consent, unless a
// remembered consent covers every requested scope.
func needsConsent(req Request, c *config.Client, remembered *store.Consent) bool {
	if req.Has("consent") {
		return true
	}
	if !c.RequireConsent && !OfflineRequested(req, c) {
		return false
	}
	return !Covers(remembered, req.Scopes)
}

// Covers reports whether a remembered consent includes every scope.
func Covers(c *store.Consent, scopes []string) bool {
	if c == nil {
		return false
	}
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

// OfflineRequested reports whether the request asks for offline access that
// could lead to a refresh token (the scope is dropped earlier for clients
// that can never have one).
func OfflineRequested(req Request, c *config.Client) bool {
	return slices.Contains(req.Scopes, grant.ScopeOfflineAccess) && grant.MayHaveRefreshToken(c)
}
