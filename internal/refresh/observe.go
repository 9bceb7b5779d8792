package refresh

import "errors"

// Outcome is how one presentation of a refresh token ended, as the
// operator counts it (issue 8, tollgate_refresh_total). The set is closed,
// so a metric labelled by it has a bounded number of series.
type Outcome uint8

// The outcomes. ok, retried, expired_idle, expired_max, reused, revoked,
// wrong_client, user_disabled and client_not_allowed are issue 8's;
// stolen is issue 11's theft signal (signal.go); the rest say why else a
// token was refused, so that every refresh is counted exactly once.
const (
	OutcomeOK               Outcome = iota // a new token (or the same one slid, rotation: reuse)
	OutcomeRetried                         // a retry within the grace window got the same successor
	OutcomeExpiredIdle                     // unused for longer than the idle lifetime
	OutcomeExpiredMax                      // past the grant's absolute lifetime
	OutcomeReused                          // a consumed token came back: the grant is revoked
	OutcomeStolen                          // presented without its holder's key: the grant is revoked
	OutcomeRevoked                         // its grant was revoked before
	OutcomeWrongClient                     // issued to another client
	OutcomeUserDisabled                    // the user is gone or disabled
	OutcomeClientNotAllowed                // the client is not (or no longer) allowed refresh tokens
	OutcomeUnknown                         // not a token this server knows
	OutcomeDPoP                            // a DPoP-bound token without a proof by its key
	OutcomeRefused                         // the request was refused (scope, resource) before rotation
	OutcomeError                           // the store failed
	NumOutcomes                            // how many outcomes there are (not one)
)

var outcomeNames = [NumOutcomes]string{
	"ok", "retried", "expired_idle", "expired_max", "reused", "stolen", "revoked", "wrong_client",
	"user_disabled", "client_not_allowed", "unknown", "dpop_key", "refused", "error",
}

// String is the outcome's label value.
func (o Outcome) String() string {
	if o >= NumOutcomes {
		return "invalid"
	}
	return outcomeNames[o]
}

// OutcomeOf classifies what Refresh returned. An error it does not know
// is OutcomeError: a refusal by the caller's check (the user, scope or
// resource) is the caller's to classify, since only it knows why it
// refused (grant.Handler does).
func OutcomeOf(iss Issued, err error) Outcome {
	switch {
	case err == nil && iss.Retried:
		return OutcomeRetried
	case err == nil:
		return OutcomeOK
	case errors.Is(err, errExpiredIdle):
		return OutcomeExpiredIdle
	case errors.Is(err, errExpiredMax):
		return OutcomeExpiredMax
	case errors.Is(err, ErrStolen):
		return OutcomeStolen
	case errors.Is(err, ErrReused):
		return OutcomeReused
	case errors.Is(err, ErrRevoked):
		return OutcomeRevoked
	case errors.Is(err, ErrWrongClient):
		return OutcomeWrongClient
	case errors.Is(err, ErrUnknown):
		return OutcomeUnknown
	case errors.Is(err, ErrProofRequired), errors.Is(err, ErrWrongKey):
		return OutcomeDPoP
	case errors.Is(err, ErrExpired):
		return OutcomeExpiredIdle // an expiry not told apart: the token's own
	}
	return OutcomeError
}

// Who or what revoked grants: the source label of tollgate_revocations_total.
const (
	ByClient    = "client"     // the client at the revocation endpoint (RFC 7009)
	ByOperator  = "operator"   // an operator (CLI, admin API)
	ByAdmin     = "admin"      // the admin API and the console (admin.ByAdmin)
	ByLogout    = "logout"     // a sign-out with revoke_on_logout
	ByReuse     = "reuse"      // a consumed refresh token came back (RFC 9700 §4.14.2)
	ByTheft     = "theft"      // a refresh token without its holder's key (issue 11)
	ByCodeReuse = "code_reuse" // an authorization code presented twice (RFC 6749 §4.1.2)
	ByUser      = "user"       // the person, on their account page (internal/account)
)

// Observer hears of the grants the lifecycle revokes, once each revocation
// is committed: source is one of the By constants, n how many grants. The
// metrics implement it (internal/metrics); policy knows nothing of them.
// It is called on the request's goroutine and must not block.
type Observer interface {
	GrantsRevoked(source string, n int)
}

// SetObserver makes o hear of every revocation. Call it before the service
// serves requests; nil turns it off.
func (s *Service) SetObserver(o Observer) { s.observer = o }

func (s *Service) revoked(source string, n int) {
	if s.observer != nil && n > 0 {
		s.observer.GrantsRevoked(source, n)
	}
}
