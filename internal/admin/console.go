package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// What the operator's console (internal/console) needs of this package:
// its caller kind, the token check of its sign-in form, and the client
// disable of the API, so both answer the same way.

// CallerConsole: an administrator signed in to the console (/admin) with
// the admin token, under a name they declared; ID is "console:<name>".
const CallerConsole = "console"

// Check reports whether value is the admin token, compared as Authorize
// compares the bearer token: SHA-256 digests in constant time.
func (t *Token) Check(value string) bool {
	got := sha256.Sum256([]byte(value))
	return subtle.ConstantTimeCompare(got[:], t.sum[:]) == 1
}

// DisableClient is POST /clients/{id}/disable for the console: r carries
// the path value "id" and, to revoke the client's grants as well, the
// query revoke_grants=true. A client of the configuration file is a
// Conflict (read-only).
func (a *API) DisableClient(r *http.Request) (ClientChange, error) {
	v, err := a.disableClient(r)
	if err != nil {
		return ClientChange{}, err
	}
	return v.(ClientChange), nil
}
