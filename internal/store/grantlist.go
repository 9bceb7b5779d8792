package store

import (
	"context"
	"encoding/base64"
	"time"
)

// GrantLister is how an operator finds grants: by client, subject or
// browser session, live or all, a page at a time, and one grant with what
// remains of its chain (its lineage).
type GrantLister interface {
	// ListGrants returns up to q.Limit grants matching q in grant id order,
	// after q.After, and the cursor of the next page ("" after the last).
	// The walk is keyset-paged by grant id over the (column, id) indexes,
	// so a page costs the same at the millionth grant as at the first.
	ListGrants(ctx context.Context, q GrantQuery) ([]GrantSummary, string, error)
	// GrantLineage returns a grant and the refresh tokens it holds, oldest
	// generation first: at most the live token and the one it replaced
	// (RotateRefreshToken deletes older ones: the store grows with live
	// grants, not with refreshes). A tombstone has none. ErrNotFound if
	// there is no such grant.
	GrantLineage(ctx context.Context, id string) (Grant, []RefreshToken, error)
}

// GrantQuery selects a page of grants. Empty filter fields match anything;
// with none set the listing walks every grant.
type GrantQuery struct {
	GrantFilter
	// Live keeps only grants that are neither revoked nor past their
	// absolute expiry at Now.
	Live bool
	Now  time.Time
	// Limit caps the page (MaxGrantPage when 0 or above it).
	Limit int
	// After is the cursor a previous page returned; "" starts at the beginning.
	After string
}

// MaxGrantPage is the largest page ListGrants returns.
const MaxGrantPage = 1000

// GrantSummary is one grant of a listing with its newest refresh token's
// generation (the rotations so far; -1 when it holds none, as a tombstone)
// and lineage: when it was issued (the grant's last use), from which node,
// address and user agent. Never a token hash.
type GrantSummary struct {
	Grant
	Generation int
	LastUsed   time.Time
	Node       string
	RemoteAddr string
	UserAgent  string
}

// GrantCursor is the opaque cursor after the grant with id: base64url of
// the id, so a client treats it as a token, not as a grant id to edit.
func GrantCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// AfterGrant decodes a cursor GrantCursor made: the id the next page
// starts after, "" for the first page.
func (q GrantQuery) AfterGrant() (string, error) {
	if q.After == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(q.After)
	if err != nil || len(b) == 0 {
		return "", ErrBadCursor
	}
	return string(b), nil
}

// PageSize is the page size q asks for, within 1..MaxGrantPage.
func (q GrantQuery) PageSize() int {
	if q.Limit <= 0 || q.Limit > MaxGrantPage {
		return MaxGrantPage
	}
	return q.Limit
}
