package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/config"
	"github.com/tollgate-oidc/tollgate/internal/keys"
	"github.com/tollgate-oidc/tollgate/internal/store"
	"github.com/tollgate-oidc/tollgate/internal/web"
)

// SearchPage is the data of the search form.
type SearchPage struct {
	Q, By, Message string
}

func (c *Console) search(q *req) error {
	return c.render(q, http.StatusOK, "search", SearchPage{By: "user"})
}

// find goes to the page of what was searched for: a user by subject, then
// by username; a client by id; a grant by id.
func (c *Console) find(q *req) error {
	text, by := strings.TrimSpace(q.r.URL.Query().Get("q")), q.r.URL.Query().Get("by")
	miss := func(msg string) error {
		return c.render(q, http.StatusNotFound, "search", SearchPage{Q: text, By: by, Message: msg})
	}
	if text == "" || len(text) > 512 {
		return miss(q.t("console_search_empty"))
	}
	ctx := q.r.Context()
	switch by {
	case "user":
		if u, err := c.Users.UserBySubject(ctx, text); err != nil {
			return err
		} else if u != nil {
			return c.goTo(q, "/users/", u.Subject)
		}
		if u, err := c.Users.User(ctx, text); err != nil {
			return err
		} else if u != nil {
			return c.goTo(q, "/users/", u.Subject)
		}
		// A subject no user holds any more may still hold grants.
		sums, _, err := c.Store.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{Subject: text}, Limit: 1})
		if err != nil {
			return err
		}
		if len(sums) > 0 {
			return c.goTo(q, "/users/", text)
		}
		return miss(q.t("console_search_no_user"))
	case "client":
		if _, _, err := c.clientInfo(q, text); err != nil {
			var pe *pageError
			if errors.As(err, &pe) && pe.status == http.StatusNotFound {
				return miss(q.tp(pe.text, pe.arg))
			}
			return err
		}
		return c.goTo(q, "/clients/", text)
	case "grant":
		if _, _, err := c.Store.GrantChain(ctx, text); errors.Is(err, store.ErrNotFound) {
			return miss(q.t("console_no_grant"))
		} else if err != nil {
			return err
		}
		return c.goTo(q, "/grants/", text)
	}
	return miss(q.t("console_search_no_by"))
}

func (c *Console) goTo(q *req, prefix, id string) error {
	http.Redirect(q.w, q.r, Path+prefix+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// GrantRow is one grant of a listing, with its revoke form while it is live.
type GrantRow struct {
	ID, ClientID, Subject, SessionID string
	Scopes                           []string
	CreatedAt, LastUsed              time.Time
	RemoteAddr                       string
	Generation                       int
	State                            string
	Revoke                           *Form
}

func (c *Console) grantRow(q *req, s store.GrantSummary, now time.Time) GrantRow {
	g := GrantRow{ID: s.ID, ClientID: s.ClientID, Subject: s.Subject, SessionID: s.SessionID, Scopes: s.Scopes,
		CreatedAt: s.CreatedAt, LastUsed: s.LastUsed, RemoteAddr: s.RemoteAddr, Generation: s.Generation, State: q.t("console_state_live")}
	switch {
	case s.Revoked():
		g.State = q.tp("console_state_revoked", when(s.RevokedAt))
	case !now.Before(s.ExpiresAt):
		g.State = q.t("console_state_expired")
	default:
		g.Revoke = c.form(q, act("/grants/", s.ID, "/revoke"), "console_confirm", "console_revoke")
	}
	return g
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// grants is one page of grants matching f, keyset-paged by the store
// (the (column, id) indexes: see the README's console section for the
// plan), and the link to the next page.
func (c *Console) grants(q *req, f store.GrantFilter) ([]GrantRow, string, error) {
	now := c.Now()
	sums, next, err := c.Store.ListGrants(q.r.Context(), store.GrantQuery{GrantFilter: f, Now: now,
		Limit: c.PageSize, After: q.r.URL.Query().Get("after")})
	if errors.Is(err, store.ErrBadCursor) {
		return nil, "", badRequest("console_bad_cursor")
	}
	if err != nil {
		return nil, "", err
	}
	rows := make([]GrantRow, len(sums))
	for i, s := range sums {
		rows[i] = c.grantRow(q, s, now)
	}
	if next != "" {
		next = q.r.URL.EscapedPath() + "?after=" + url.QueryEscape(next)
	}
	return rows, next, nil
}

// UserPage is the data of a user's page.
type UserPage struct {
	Subject, Username, Name, Source string
	Disabled                        bool
	Grants                          []GrantRow
	Next                            string
	Sessions                        []SessionRow
	Ended                           []string // labels of sessions on this page's grants that are no longer live
	Partial                         bool     // the user has more live sessions than Sessions lists (then Ended is empty)
	RevokeAll                       *Form
	Done                            string
}

func (c *Console) user(q *req) error {
	sub := q.r.PathValue("sub")
	p := UserPage{Subject: sub, Source: q.t("console_source_none"), Done: doneNote(q)}
	u, err := c.Users.UserBySubject(q.r.Context(), sub)
	if err != nil {
		return err
	}
	if u != nil {
		p.Username, p.Disabled, p.Source = u.Username, u.Disabled, q.t("console_source_store")
		if c.Users.InConfig(u.Username, u.Subject) {
			p.Source = q.t("console_source_file")
		}
		if n, ok := u.Claims["name"].(string); ok {
			p.Name = n
		}
	}
	if p.Grants, p.Next, err = c.grants(q, store.GrantFilter{Subject: sub}); err != nil {
		return err
	}
	if p.Sessions, p.Ended, p.Partial, err = c.sessions(q, sub, p.Grants); err != nil {
		return err
	}
	p.RevokeAll = c.form(q, act("/users/", sub, "/revoke"), "console_revoke_user_ok", "console_revoke_user_btn")
	return c.render(q, http.StatusOK, "user", p)
}

// clientInfo is a client's name and where it is defined: "file" or
// "store" (and whether the store's is disabled).
func (c *Console) clientInfo(q *req, id string) (string, store.ClientRecord, error) {
	if cl, ok := c.Config.Client(id); ok {
		return cl.Name, store.ClientRecord{}, nil
	}
	rec, err := c.Store.StoredClient(q.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return "", rec, notFound("console_no_client", id)
	}
	if err != nil {
		return "", rec, err
	}
	cl, _, err := config.ParseClient(rec.Settings)
	if err != nil {
		return "", rec, nil // shown by id; its settings are the API's to fix
	}
	return cl.Name, rec, nil
}

// ClientPage is the data of a client's page.
type ClientPage struct {
	ID, Name, Source   string
	ReadOnly, Disabled bool
	Since              time.Time
	Outcomes           []Outcome
	OK, OKScanned      int
	OKCapped           bool
	Grants             []GrantRow
	Next               string
	RevokeAll, Disable *Form
	Done               string
}

func (c *Console) client(q *req) error {
	id := q.r.PathValue("id")
	name, rec, err := c.clientInfo(q, id)
	if err != nil {
		return err
	}
	p := ClientPage{ID: id, Name: name, Source: q.t("console_source_store"), Disabled: rec.Disabled, Done: doneNote(q)}
	if rec.ID == "" {
		p.Source, p.ReadOnly = q.t("console_source_file"), true
	}
	now := c.Now()
	p.Since = now.Add(-24 * time.Hour)
	if p.Outcomes, err = c.refusals(q.r.Context(), id, p.Since); err != nil {
		return err
	}
	if p.OK, p.OKScanned, p.OKCapped, err = c.refreshed(q.r.Context(), id, p.Since, now); err != nil {
		return err
	}
	if p.Grants, p.Next, err = c.grants(q, store.GrantFilter{ClientID: id}); err != nil {
		return err
	}
	p.RevokeAll = c.form(q, act("/clients/", id, "/revoke"), "console_revoke_client_ok", "console_revoke_client_btn")
	if !p.ReadOnly && !p.Disabled {
		p.Disable = c.form(q, act("/clients/", id, "/disable"), "console_disable_ok", "console_disable_btn")
		p.Disable.Option = q.t("console_disable_revoke")
	}
	return c.render(q, http.StatusOK, "client", p)
}

// GrantPage is the data of one grant's page.
type GrantPage struct {
	Grant  GrantRow
	Rows   []GrantRow
	Tokens []TokenRow
	Done   string
}

// TokenRow is one refresh token of a grant's lineage (never its hash).
type TokenRow struct {
	Generation                         int
	CreatedAt                          time.Time
	State, Node, RemoteAddr, UserAgent string
}

func (c *Console) grant(q *req) error {
	id := q.r.PathValue("id")
	g, ts, err := c.Store.GrantLineage(q.r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("console_no_grant", "")
	}
	if err != nil {
		return err
	}
	now := c.Now()
	s := store.GrantSummary{Grant: g, Generation: -1}
	p := GrantPage{Done: doneNote(q)}
	for _, t := range ts {
		state := q.t("console_state_live")
		switch {
		case t.Consumed():
			state = q.tp("console_state_rotated", when(t.ConsumedAt))
		case !now.Before(t.ExpiresAt):
			state = q.t("console_state_expired")
		}
		p.Tokens = append(p.Tokens, TokenRow{Generation: t.Generation, CreatedAt: t.CreatedAt, State: state,
			Node: t.Node, RemoteAddr: t.RemoteAddr, UserAgent: t.UserAgent})
		s.Generation, s.LastUsed, s.RemoteAddr = t.Generation, t.CreatedAt, t.RemoteAddr
	}
	p.Grant = c.grantRow(q, s, now)
	p.Rows = []GrantRow{p.Grant}
	return c.render(q, http.StatusOK, "grant", p)
}

// ReuseRow is one reuse detection.
type ReuseRow struct {
	Time                       time.Time
	ClientID, Subject, GrantID string
	Replay, First              string
}

// ReusePage is the data of the reuse detections page.
type ReusePage struct {
	Rows []ReuseRow
	Next string
}

// reuse lists the reuse_detected events, newest first, a page at a time.
// The replay's address is the event's; the first presentation's is the
// one recorded on the grant's newest token (GrantLineage), the successor
// it was given, which is exact when the reused token was the one just
// before it (the common case: a stolen token replayed after the owner's
// next refresh).
func (c *Console) reuse(q *req) error {
	ctx := q.r.Context()
	evs, next, err := c.Store.Events(ctx, store.EventFilter{Kind: store.EventReuseDetected, Limit: c.PageSize,
		After: q.r.URL.Query().Get("after")})
	if errors.Is(err, store.ErrBadCursor) {
		return badRequest("console_bad_cursor")
	}
	if err != nil {
		return err
	}
	p := ReusePage{Rows: make([]ReuseRow, len(evs))}
	for i, ev := range evs {
		row := ReuseRow{Time: ev.Time, ClientID: ev.ClientID, Subject: ev.Subject, GrantID: ev.GrantID, Replay: ev.RemoteAddr, First: q.t("console_unknown")}
		if ev.GrantID != "" {
			_, ts, err := c.Store.GrantLineage(ctx, ev.GrantID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if len(ts) > 0 && ts[len(ts)-1].RemoteAddr != "" {
				row.First = ts[len(ts)-1].RemoteAddr
			}
		}
		p.Rows[i] = row
	}
	if next != "" {
		p.Next = q.r.URL.EscapedPath() + "?after=" + url.QueryEscape(next)
	}
	return c.render(q, http.StatusOK, "reuse", p)
}

// KeysPage is the data of the keys page.
type KeysPage struct {
	Keys []keys.Info
	Next []NextRotation
}

// NextRotation says when an algorithm's key is next replaced.
type NextRotation struct{ Alg, Text string }

// keys shows this node's view of the signing keys (as GET /api/v1/keys)
// and, per algorithm, the next rotation: a next key already waiting, or
// the newest key's activation plus keys.rotate_every.
func (c *Console) keys(q *req) error {
	list := c.Keys.List()
	p := KeysPage{Keys: list}
	every := c.Config.Keys.RotateEvery
	for _, alg := range keys.Algorithms {
		var newest, waiting time.Time
		for _, k := range list {
			if k.Algorithm != alg {
				continue
			}
			if k.State == keys.StateNext {
				waiting = k.ActivatesAt
			}
			if k.ActivatesAt.After(newest) {
				newest = k.ActivatesAt
			}
		}
		var text string
		switch {
		case !waiting.IsZero():
			text = q.tp("console_key_waiting", when(waiting))
		case newest.IsZero():
			text = q.t("console_key_none")
		case every <= 0:
			text = q.t("console_key_manual")
		default:
			text = web.TextWith(q.lang, "console_key_due", when(newest.Add(every)))
			text = strings.Replace(text, "{}", every.String(), 1)
		}
		p.Next = append(p.Next, NextRotation{Alg: alg, Text: text})
	}
	return c.render(q, http.StatusOK, "keys", p)
}
