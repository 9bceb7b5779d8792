// Package oauth is Tollgate's HTTP edge: one file per endpoint (discovery,
// JWKS, token, revocation, introspection, userinfo), the form parsing every
// endpoint shares, and the one writer that renders an *oautherr.Error as JSON
// (RFC 6749 §5.2) or as a Bearer challenge (RFC 6750 §3). Handlers translate
// HTTP into a call on a policy package and the result back into HTTP; they
// never talk SQL. In the browser sign-in (authorize, login, consent,
// resume, logout) every step asks decide.go what the request needs next,
// so no page can be reached out of order. Every token or error response carries Cache-Control:
// no-store.
package oauth
