// Package console is the operator's console: server-rendered pages under
// /admin on the admin listener (never the public one) to find a user's or
// a client's grants, see recent reuse detections and the signing keys, and
// revoke grants or disable a client in an incident.
//
// A browser cannot send the admin bearer token, so the console has its own
// sign-in: the admin token (checked as admin.Token checks it, in constant
// time) and the administrator's name, which is declared, not proven: it
// names the actor in the audit trail ("console:ana") so that a team
// sharing one token can tell its members' actions apart, and is worth no
// more than their honesty. The sign-in sets a session cookie (Session)
// MAC'd with a key derived from the system secret: HttpOnly,
// SameSite=Strict, Path=/admin, Secure on https, 30 minutes idle and 8
// hours at most. The cookie opens /admin only (CookieAuth): the JSON API
// and /metrics keep the bearer token.
//
// Every action is a POST with a CSRF token (web.CSRF, bound to the action
// and the administrator) and a ticked confirmation, and every revocation
// goes through refresh.Service with the source "admin" and the actor
// "console:<name>", as the admin API's do.
//
// Lists are keyset-paged by the store (ListGrants, Events), so a page
// costs the same at the millionth grant as at the first.
package console
