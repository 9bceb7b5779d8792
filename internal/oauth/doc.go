// Package oauth is Tollgate's HTTP edge: one file per endpoint (discovery,
// JWKS, token, revocation, introspection, userinfo), the form parsing every
// endpoint shares, and the one writer that renders an *oautherr.Error as JSON
// (RFC 6749 §5.2) or as a Bearer challenge (RFC 6750 §3). Handlers translate
// HTTP into a call on a policy package and the result back into HTTP; they
// never talk SQL. In the browser sign-in (authorize, login, consent,
// resume, logout) every step asks decide.go what the request needs next,
// so no page can be reached out of order. Every token or error response carries Cache-Control:
// no-store.
//
// A store that cannot be reached (store.ErrUnavailable, or a deadline that
// ran out) is never a 500: JSON endpoints answer 503 temporarily_unavailable
// with Retry-After, the sign-in pages a "try again shortly" page, and a
// redirect to the client carries temporarily_unavailable (unavailable.go).
// /healthz (liveness) and /readyz (store ping, keys loaded) answer at the
// root and below the issuer's path (health.go).
package oauth
