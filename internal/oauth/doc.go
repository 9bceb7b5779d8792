// Package oauth is Tollgate's HTTP edge: one file per endpoint (discovery,
// JWKS, token, revocation, introspection, userinfo), the form parsing every
// endpoint shares, and the one writer that renders an *oautherr.Error as JSON
// (RFC 6749 §5.2) or as a Bearer challenge (RFC 6750 §3). Handlers translate
// HTTP into a call on a policy package and the result back into HTTP; they
// never talk SQL. Every token or error response carries Cache-Control:
// no-store.
package oauth
