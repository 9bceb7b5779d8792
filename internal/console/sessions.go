package console

import (
	"slices"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/account"
	"github.com/tollgate-oidc/tollgate/internal/store"
)

// SessionRow is one live browser session of a user. It never holds the
// session's cookie hash (store.Session.ID) nor its sid: only the label
// the account page shows for it (account.SessionLabel), so an operator
// and the person can tell they speak of the same session.
type SessionRow struct {
	Label             string
	SignedIn, Expires time.Time
	AMR               []string
	Grants            []string // ids of grants issued in the session, the first grantsPerSession
	More              bool     // the session has more grants than listed
}

// maxSessions bounds the sessions a user's page lists (newest first), and
// grantsPerSession the grant ids listed with each: each session costs one
// ListGrants by session id (an index range of grants_session_id).
const (
	maxSessions      = 20
	grantsPerSession = 10
)

// sessions are sub's live sessions from the store (ListSessions), each
// with the grants it issued, and the labels of the sessions named by
// grants on this page that are no longer live (ended or expired).
func (c *Console) sessions(q *req, sub string, page []GrantRow) ([]SessionRow, []string, error) {
	ctx := q.r.Context()
	live, err := c.Store.ListSessions(ctx, sub, c.Now(), maxSessions)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]SessionRow, 0, len(live))
	sids := make([]string, 0, len(live))
	for _, s := range live {
		row := SessionRow{Label: account.SessionLabel(s.SID), SignedIn: s.AuthTime, Expires: s.ExpiresAt, AMR: s.AMR}
		if row.SignedIn.IsZero() {
			row.SignedIn = s.CreatedAt
		}
		sums, next, err := c.Store.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{SessionID: s.SID}, Limit: grantsPerSession})
		if err != nil {
			return nil, nil, err
		}
		for _, g := range sums {
			if g.Subject == sub { // a sid is one person's; belt and braces
				row.Grants = append(row.Grants, g.ID)
			}
		}
		row.More = next != ""
		rows = append(rows, row)
		sids = append(sids, s.SID)
	}
	var ended []string
	for _, g := range page {
		if g.SessionID == "" || slices.Contains(sids, g.SessionID) {
			continue
		}
		if l := account.SessionLabel(g.SessionID); !slices.Contains(ended, l) {
			ended = append(ended, l)
		}
	}
	return rows, ended, nil
}
