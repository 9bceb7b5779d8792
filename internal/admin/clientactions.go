package admin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/secret"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// The single-purpose changes of a store client: disable (and revoke its
// grants, the first thing to do about a compromised client), enable,
// rotate its secret, replace its public keys.

func (a *API) disableClient(r *http.Request) (any, error) {
	revoke := false
	if v := r.URL.Query().Get("revoke_grants"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, BadRequest("revoke_grants must be true or false, not %q", v)
		}
		revoke = b
	}
	out, err := a.change(r, store.ClientDisabled, func(rec *store.ClientRecord) (string, error) {
		rec.Disabled = true
		return "", nil
	})
	if err != nil || !revoke {
		return out, err
	}
	// Disabled first, so no new grant can start while the old ones go;
	// the revocation may go in batches, and calling it again finishes. It
	// goes through the refresh service, as every admin revocation does:
	// counted under source "admin", each grant's event naming the caller.
	n, err := a.Refresh.RevokeMatchingBy(r.Context(), store.GrantFilter{ClientID: out.ID}, ByAdmin)
	if err != nil {
		return nil, err
	}
	out.GrantsRevoked = &n
	return out, nil
}

func (a *API) enableClient(r *http.Request) (any, error) {
	return a.change(r, store.ClientEnabled, func(rec *store.ClientRecord) (string, error) {
		rec.Disabled = false
		return "", nil
	})
}

// rotateClientSecret gives the client a new secret, returned once. The
// old one stops at once on this node (its snapshot is reloaded) and on
// the others within the directory's bound (10 s).
func (a *API) rotateClientSecret(r *http.Request) (any, error) {
	return a.change(r, store.ClientSecretRotated, func(rec *store.ClientRecord) (string, error) {
		cl, _, err := config.ParseClient(rec.Settings)
		if err != nil {
			return "", err
		}
		if !a.Config.NeedsSecret(cl) {
			return "", BadRequest("client %q does not authenticate with a secret (client_secret_basic or client_secret_post)", rec.ID)
		}
		s := secret.Generate()
		rec.SecretHash = secret.HashClientSecret(s)
		return s, nil
	})
}

// replaceClientKeys replaces the public keys of a private_key_jwt client
// (RFC 7523 §2.2) with the JWK Set in the body, checked as the file's are
// (public signature keys only: a private key is refused). Keys published
// at a jwks_uri are replaced by these.
func (a *API) replaceClientKeys(r *http.Request) (any, error) {
	var set map[string]any
	if err := DecodeJSON(r, &set); err != nil {
		return nil, err
	}
	return a.change(r, store.ClientKeysReplaced, func(rec *store.ClientRecord) (string, error) {
		var m map[string]any
		if err := json.Unmarshal(rec.Settings, &m); err != nil {
			return "", err
		}
		m["jwks"] = set
		delete(m, "jwks_uri")
		doc, err := json.Marshal(m)
		if err != nil {
			return "", err
		}
		cl, doc, _, err := a.finish(doc, rec.ID, "")
		if err != nil {
			return "", err
		}
		if cl.AuthMethod != config.AuthPrivateKeyJWT {
			return "", BadRequest("client %q authenticates with %s; only a private_key_jwt client has keys to replace", rec.ID, cl.AuthMethod)
		}
		rec.Settings = doc
		return "", nil
	})
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
