package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/refresh"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// ByAdmin is the source the admin API's revocations are counted under
// (/metrics tollgate_revocations_total{source="admin"}).
const ByAdmin = refresh.ByAdmin

// grantRoutes are the grants area: list, show with lineage, revoke one,
// revoke by client, subject or session, revoke the grant of a token value.
func (a *API) grantRoutes() []route {
	return []route{
		{"GET " + PathAPI + "/grants", a.listGrants},
		{"GET " + PathAPI + "/grants/{id}", a.showGrant},
		{"POST " + PathAPI + "/grants/{id}/revoke", a.revokeGrant},
		{"POST " + PathAPI + "/grants/revoke", a.revokeGrants},
		{"POST " + PathAPI + "/tokens/revoke", a.revokeToken},
	}
}

// Grant is a grant as the admin API shows it: never a token hash.
type Grant struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Subject   string    `json:"subject"`
	SessionID string    `json:"session_id,omitempty"`
	Scopes    []string  `json:"scopes"`
	Resources []string  `json:"resources,omitempty"`
	AMR       []string  `json:"amr,omitempty"`
	AuthTime  time.Time `json:"auth_time,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Live: neither revoked nor past its absolute expiry.
	Live    bool   `json:"live"`
	DPoPJKT string `json:"dpop_jkt,omitempty"`
	// Generation is how many rotations the grant has had (its newest
	// token's generation); -1 for a tombstone, which holds no token.
	Generation int `json:"generation"`
	// LastUsed is when its newest token was issued, and from where.
	LastUsed   time.Time `json:"last_used,omitzero"`
	Node       string    `json:"node,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
}

// LineageToken is one refresh token of a grant's lineage: when, where from and
// by which node it was issued, and its state. Never its hash.
type LineageToken struct {
	Generation int       `json:"generation"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	ConsumedAt time.Time `json:"consumed_at,omitzero"`
	// State: live, consumed (rotated; kept for a retry within the grace
	// window), or expired.
	State      string `json:"state"`
	ProofKey   string `json:"proof_key,omitempty"`
	Node       string `json:"node,omitempty"`
	RemoteAddr string `json:"remote_addr,omitempty"`
	UserAgent  string `json:"user_agent,omitempty"`
}

// Lineage is a grant and what remains of its chain: the live token and the
// one it replaced (a grant keeps no more: the store grows with live
// grants, not with refreshes). Refusals and revocations are in the audit
// trail.
type Lineage struct {
	Grant  Grant          `json:"grant"`
	Tokens []LineageToken `json:"tokens"`
}

// GrantPage is a page of the grant listing.
type GrantPage struct {
	Items []Grant `json:"items"`
	Next  string  `json:"next"`
}

func grantOf(g store.Grant, now time.Time) Grant {
	return Grant{ID: g.ID, ClientID: g.ClientID, Subject: g.Subject, SessionID: g.SessionID,
		Scopes: nonNil(g.Scopes), Resources: g.Resources, AMR: g.AMR, AuthTime: g.AuthTime,
		CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt, RevokedAt: g.RevokedAt,
		Live: !g.Revoked() && now.Before(g.ExpiresAt), DPoPJKT: g.DPoPJKT, Generation: -1}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// listGrants: GET /grants?client=&subject=&session=&live=true&limit=&after=
func (a *API) listGrants(r *http.Request) (any, error) {
	p, err := PageOf(r)
	if err != nil {
		return nil, err
	}
	qs := r.URL.Query()
	q := store.GrantQuery{
		GrantFilter: store.GrantFilter{ClientID: qs.Get("client"), Subject: qs.Get("subject"), SessionID: qs.Get("session")},
		Now:         a.Now(), Limit: p.Limit, After: p.After,
	}
	switch v := qs.Get("live"); v {
	case "", "false":
	case "true":
		q.Live = true
	default:
		return nil, BadRequest("live must be true or false, not %q", v)
	}
	sums, next, err := a.Store.ListGrants(r.Context(), q)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, BadRequest("after is not a cursor this listing returned; start again without it")
	}
	if err != nil {
		return nil, err
	}
	out := GrantPage{Items: make([]Grant, len(sums)), Next: next}
	for i, s := range sums {
		g := grantOf(s.Grant, q.Now)
		g.Generation, g.LastUsed, g.Node, g.RemoteAddr, g.UserAgent = s.Generation, s.LastUsed, s.Node, s.RemoteAddr, s.UserAgent
		out.Items[i] = g
	}
	return out, nil
}

// showGrant: GET /grants/{id}, the grant with its lineage.
func (a *API) showGrant(r *http.Request) (any, error) {
	id := r.PathValue("id")
	g, ts, err := a.Store.GrantLineage(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("no grant %q", id)
	}
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := Lineage{Grant: grantOf(g, now), Tokens: make([]LineageToken, len(ts))}
	for i, t := range ts {
		state := "live"
		switch {
		case t.Consumed():
			state = "consumed"
		case !now.Before(t.ExpiresAt):
			state = "expired"
		}
		out.Tokens[i] = LineageToken{Generation: t.Generation, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
			ConsumedAt: t.ConsumedAt, State: state, ProofKey: t.ProofKey, Node: t.Node, RemoteAddr: t.RemoteAddr, UserAgent: t.UserAgent}
		out.Grant.Generation = max(out.Grant.Generation, t.Generation)
		out.Grant.LastUsed, out.Grant.Node, out.Grant.RemoteAddr, out.Grant.UserAgent = t.CreatedAt, t.Node, t.RemoteAddr, t.UserAgent
	}
	return out, nil
}

// Revoked is the answer of a revocation of one grant: false when it was
// revoked already (the operator's goal holds either way).
type Revoked struct {
	GrantID string `json:"grant_id"`
	Revoked bool   `json:"revoked"`
}

// revokeGrant: POST /grants/{id}/revoke. An unknown id is 404, so a typo
// is not mistaken for success.
func (a *API) revokeGrant(r *http.Request) (any, error) {
	id := r.PathValue("id")
	if _, _, err := a.Store.GrantChain(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("no grant %q", id)
	} else if err != nil {
		return nil, err
	}
	ok, err := a.Refresh.RevokeGrant(r.Context(), id, ByAdmin)
	if err != nil {
		return nil, err
	}
	return Revoked{GrantID: id, Revoked: ok}, nil
}

// RevokeFilter selects grants to revoke: at least one field; with more
// than one, a grant must match them all.
type RevokeFilter struct {
	Client  string `json:"client"`
	Subject string `json:"subject"`
	Session string `json:"session"`
}

// revokeGrants: POST /grants/revoke {client, subject, session}.
func (a *API) revokeGrants(r *http.Request) (any, error) {
	var f RevokeFilter
	if err := DecodeJSON(r, &f); err != nil {
		return nil, err
	}
	if f == (RevokeFilter{}) {
		return nil, BadRequest("say which grants to revoke: client, subject or session (one or more)")
	}
	n, err := a.Refresh.RevokeMatchingBy(r.Context(), store.GrantFilter{ClientID: f.Client, Subject: f.Subject, SessionID: f.Session}, ByAdmin)
	if err != nil {
		return nil, err
	}
	return struct {
		Revoked int `json:"revoked"`
	}{n}, nil
}

// revokeToken: POST /tokens/revoke {token}: revoke the grant of a refresh
// token value the operator holds (RFC 7009 §2.1: revoking a refresh token
// revokes its grant), whichever client it was issued to. The value is
// neither logged nor echoed.
func (a *API) revokeToken(r *http.Request) (any, error) {
	var body struct {
		Token string `json:"token"`
	}
	if err := DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Token == "" {
		return nil, BadRequest("token is required: the refresh token whose grant to revoke")
	}
	g, err := a.Refresh.GrantOf(r.Context(), body.Token)
	if errors.Is(err, refresh.ErrUnknown) {
		return nil, NotFound("no grant holds that refresh token (unknown, or not one this server issued)")
	}
	if err != nil {
		return nil, err
	}
	ok, err := a.Refresh.RevokeGrant(r.Context(), g.ID, ByAdmin)
	if err != nil {
		return nil, err
	}
	return Revoked{GrantID: g.ID, Revoked: ok}, nil
}
