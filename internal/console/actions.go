package console

import (
	"errors"
	"net/url"

	"github.com/tollgate-oidc/tollgate/internal/admin"
	"github.com/tollgate-oidc/tollgate/internal/oautherr"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// action is a form's target: the URL it posts to (the id path-escaped) and
// the purpose its CSRF token is bound to (the id as the handler reads it).
type action struct{ url, purpose string }

func act(prefix, id, suffix string) action {
	return action{url: Path + prefix + url.PathEscape(id) + suffix, purpose: prefix + id + suffix}
}

// Every action below: CSRF token and confirmation first (checkAction),
// then the revocation through refresh.Service with the source "admin"
// and, from ctx, the actor "console:<name>".

func (c *Console) revokeGrant(q *req) error {
	id := q.r.PathValue("id")
	if err := c.checkAction(q, act("/grants/", id, "/revoke")); err != nil {
		return err
	}
	if _, _, err := c.Store.GrantChain(q.r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return notFound("console_no_grant", "")
	} else if err != nil {
		return err
	}
	ok, err := c.Refresh.RevokeGrant(q.r.Context(), id, admin.ByAdmin)
	if err != nil {
		return err
	}
	back := act("/grants/", id, "").url
	if !ok {
		return done(q, back, "already", 0)
	}
	return done(q, back, "revoked", 1)
}

func (c *Console) revokeUser(q *req) error {
	sub := q.r.PathValue("sub")
	if err := c.checkAction(q, act("/users/", sub, "/revoke")); err != nil {
		return err
	}
	n, err := c.Refresh.RevokeMatchingBy(q.r.Context(), store.GrantFilter{Subject: sub}, admin.ByAdmin)
	if err != nil {
		return err
	}
	return done(q, act("/users/", sub, "").url, "revoked", n)
}

func (c *Console) revokeClient(q *req) error {
	id := q.r.PathValue("id")
	if err := c.checkAction(q, act("/clients/", id, "/revoke")); err != nil {
		return err
	}
	n, err := c.Refresh.RevokeMatchingBy(q.r.Context(), store.GrantFilter{ClientID: id}, admin.ByAdmin)
	if err != nil {
		return err
	}
	return done(q, act("/clients/", id, "").url, "revoked", n)
}

// disableClient disables a store client through the admin API's own code
// (the same audit event, reload and optional revocation); a client of
// the configuration file is read-only and refused.
func (c *Console) disableClient(q *req) error {
	id := q.r.PathValue("id")
	if err := c.checkAction(q, act("/clients/", id, "/disable")); err != nil {
		return err
	}
	r := q.r.Clone(q.r.Context())
	r.URL.RawQuery = "revoke_grants=" + map[bool]string{true: "true", false: "false"}[q.r.PostFormValue("option") == "yes"]
	out, err := c.API.DisableClient(r)
	var oe *oautherr.Error
	if errors.As(err, &oe) && oe.Status < 500 {
		return &pageError{status: oe.Status, title: "console_err_not_disabled", raw: oe.Description}
	}
	if err != nil {
		return err
	}
	n := 0
	if out.GrantsRevoked != nil {
		n = *out.GrantsRevoked
	}
	return done(q, act("/clients/", id, "").url, "disabled", n)
}
