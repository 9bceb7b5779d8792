// Package account is a person's own page, /account: the applications that
// hold offline access for them (live grants whose scopes include
// offline_access), with "Remove access", and the consents they chose to have
// remembered, with "Forget". It is what Google's "third-party apps with
// account access" page and Keycloak's account console offer.
//
// The rules are plain Go over a narrow store interface and an injected clock
// (service.go): a person sees and changes only their own grants and
// consents, and every removal goes through refresh.Service.RevokeGrant with
// the audit actor "user", so it is counted, audited and visible to the next
// refresh at once.
//
// Signing in (signin.go), as Keycloak's account console does: the page is a
// first-party OpenID client of the server itself, the built-in public
// client config.AccountClientID. It sends the browser through the usual
// authorize endpoint and login page, so a person signs in exactly as
// everywhere (throttles, audit, sessions, single sign-on), with PKCE S256
// (RFC 7636) and a nonce. The callback redeems the code in process through
// the grant handler, verifies the ID token (OpenID Connect Core §3.1.3.7),
// and sets a cookie of its own (cookie.go): HttpOnly, SameSite=Lax, Secure on
// https, Path=/account, short-lived, MAC'd with a key derived from the
// system secret, holding the subject, the session id (sid) and the expiry;
// never a token. The sign-in flow's files are not touched, and nothing here
// knows how the flow stores its sessions.
package account
