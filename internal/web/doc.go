// Package web renders Tollgate's browser pages: sign-in, consent, logout,
// errors and the OAuth 2.0 Form Post Response Mode page, in Norwegian bokmål
// and English.
//
// The pages are server-rendered with html/template from templates embedded in
// the binary, so everything a client controls (its name, scope names, hidden
// values, redirect URIs) is escaped by context. They need no JavaScript; the
// only script is the auto-submit of the form post page, which has a visible
// button as its no-JavaScript fallback.
//
// Every response carries a strict Content-Security-Policy. The one inline
// <style> (and, on the form post page, the one inline <script>) is allowed by
// its SHA-256 hash, computed once when the package loads, so no
// 'unsafe-inline' is ever needed. form-action is 'self' plus, when the caller
// names it, the origin of the redirect URI the form's POST will end in:
// Chromium and Safari apply form-action to the redirects that follow a form
// submission too (w3c/webappsec-csp#8), so a consent page whose policy is only
// 'self' could not deliver the authorization response to the client.
//
// CSRF is a double-submit cookie whose token is an HMAC of the cookie and a
// binding (the purpose and request id the form belongs to), so a token taken
// from one form cannot be replayed on another.
package web
