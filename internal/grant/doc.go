// Package grant holds what each grant type of the token endpoint checks and
// what it issues: one file per grant (RFC 6749 §4.1.3 authorization_code,
// §4.3 password, §4.4 client_credentials, §6 refresh_token), all run through
// one pipeline (Handler.Exchange) so no grant can skip a step: the client is
// allowed the grant type, the scope is checked, then tokens are issued by one
// function that applies the refresh-token rules of HelseID's page.
//
// Passwords (passwords.go) is the one password check of the password grant
// and the login page: bounded in concurrency, throttled per username and
// per client address, and equal in cost for every username.
//
// The package takes typed requests, not HTTP; it returns *oautherr.Error for
// every client mistake.
//
// standing.go is the one rule for whether what was issued may still be used
// (user active, client still registered and allowed refresh tokens); the
// refresh grant, userinfo and introspection all call it. code.go checks a
// code's client, redirect_uri and PKCE before it consumes the code, so only
// the code's own client can redeem it, or revoke its grant by replaying it.
package grant
