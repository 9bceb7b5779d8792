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

// sessions are sub's newest live sessions from the store (ListSessions),
// each with the grants it issued, and the labels of the sessions named by
// grants on this page that are no longer live (ended or expired). When sub
// has more than maxSessions live sessions the list is partial: partial is
// true and no session is named as ended, since one missing from the list
// may be live but older than those listed.
func (c *Console) sessions(q *req, sub string, page []GrantRow) (rows []SessionRow, ended []string, partial bool, err error) {
	ctx := q.r.Context()
	live, err := c.Store.ListSessions(ctx, sub, c.Now(), maxSessions+1)
	if err != nil {
		return nil, nil, false, err
	}
	if partial = len(live) > maxSessions; partial {
		live = live[:maxSessions]
	}
	rows = make([]SessionRow, 0, len(live))
	sids := make([]string, 0, len(live))
	for _, s := range live {
		row := SessionRow{Label: account.SessionLabel(s.SID), SignedIn: s.AuthTime, Expires: s.ExpiresAt, AMR: s.AMR}
		if row.SignedIn.IsZero() {
			row.SignedIn = s.CreatedAt
		}
		// A sid is one person's; the subject in the filter is belt and
		// braces, in the store so that More speaks of sub's grants only.
		sums, next, err := c.Store.ListGrants(ctx, store.GrantQuery{GrantFilter: store.GrantFilter{SessionID: s.SID, Subject: sub}, Limit: grantsPerSession})
		if err != nil {
			return nil, nil, false, err
		}
		for _, g := range sums {
			row.Grants = append(row.Grants, g.ID)
		}
		row.More = next != ""
		rows = append(rows, row)
		sids = append(sids, s.SID)
	}
	if partial {
		return rows, nil, true, nil
	}
	for _, g := range page {
		if g.SessionID == "" || slices.Contains(sids, g.SessionID) {
			continue
		}
		if l := account.SessionLabel(g.SessionID); !slices.Contains(ended, l) {
			ended = append(ended, l)
		}
	}
	return rows, ended, false, nil
}
