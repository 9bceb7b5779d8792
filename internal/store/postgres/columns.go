package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// How records map to columns. Times are timestamptz, NULL for the zero
// time; string lists are text[] (never NULL); opaque bytes are bytea, NULL
// when empty.
const (
	grantCols = `g.id, g.client_id, g.subject, g.scopes, g.auth_time, g.session_id, g.amr,
		g.created_at, g.expires_at, g.revoked_at, g.dpop_jkt, g.resources`
	grantInsert = `INSERT INTO grants (id, client_id, subject, scopes, auth_time, session_id, amr,
		created_at, expires_at, revoked_at, dpop_jkt, resources)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	tokenCols = `t.hash, t.grant_id, t.generation, t.created_at, t.expires_at, t.consumed_at, t.successor_hash,
		t.proof_key`
	codeCols = `hash, client_id, redirect_uri, code_challenge, code_challenge_method, subject, scopes,
		nonce, session_id, amr, auth_time, created_at, expires_at, consumed_at, grant_id, dpop_jkt, resources`
	requestCols = `id, client_id, params, created_at, expires_at, consumed_at`
	sessionCols = `id, sid, subject, auth_time, amr, created_at, expires_at`
	consentCols = `subject, client_id, scopes, created_at, expires_at`
)

func grantArgs(g store.Grant) []any {
	return []any{g.ID, g.ClientID, g.Subject, list(g.Scopes), ts(g.AuthTime), g.SessionID, list(g.AMR),
		ts(g.CreatedAt), ts(g.ExpiresAt), ts(g.RevokedAt), g.DPoPJKT, list(g.Resources)}
}

func grantDest(g *store.Grant) []any {
	return []any{&g.ID, &g.ClientID, &g.Subject, &g.Scopes, timeCol{&g.AuthTime}, &g.SessionID,
		&g.AMR, timeCol{&g.CreatedAt}, timeCol{&g.ExpiresAt}, timeCol{&g.RevokedAt}, &g.DPoPJKT, &g.Resources}
}

func tokenDest(t *store.RefreshToken) []any {
	return []any{&t.Hash, &t.GrantID, &t.Generation, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.ConsumedAt}, &t.SuccessorHash, &t.ProofKey}
}

func codeArgs(c store.AuthCode) []any {
	return []any{c.Hash, c.ClientID, c.RedirectURI, c.CodeChallenge, c.CodeChallengeMethod, c.Subject,
		list(c.Scopes), c.Nonce, c.SessionID, list(c.AMR), ts(c.AuthTime), ts(c.CreatedAt),
		ts(c.ExpiresAt), ts(c.ConsumedAt), c.GrantID, c.DPoPJKT, list(c.Resources)}
}

func codeDest(c *store.AuthCode) []any {
	return []any{&c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.CodeChallengeMethod, &c.Subject,
		&c.Scopes, &c.Nonce, &c.SessionID, &c.AMR, timeCol{&c.AuthTime},
		timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}, timeCol{&c.ConsumedAt}, &c.GrantID,
		&c.DPoPJKT, &c.Resources}
}

func requestArgs(r store.AuthRequest) []any {
	return []any{r.ID, r.ClientID, blob(r.Params), ts(r.CreatedAt), ts(r.ExpiresAt), ts(r.ConsumedAt)}
}

func requestDest(r *store.AuthRequest) []any {
	return []any{&r.ID, &r.ClientID, &r.Params, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt}, timeCol{&r.ConsumedAt}}
}

func sessionArgs(s store.Session) []any {
	return []any{s.ID, s.SID, s.Subject, ts(s.AuthTime), list(s.AMR), ts(s.CreatedAt), ts(s.ExpiresAt)}
}

func sessionDest(s *store.Session) []any {
	return []any{&s.ID, &s.SID, &s.Subject, timeCol{&s.AuthTime}, &s.AMR, timeCol{&s.CreatedAt},
		timeCol{&s.ExpiresAt}}
}

func consentArgs(c store.Consent) []any {
	return []any{c.Subject, c.ClientID, list(c.Scopes), ts(c.CreatedAt), ts(c.ExpiresAt)}
}

func consentDest(c *store.Consent) []any {
	return []any{&c.Subject, &c.ClientID, &c.Scopes, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}}
}

// errZeroTime refuses a zero event time: zero means "not yet" in ConsumedAt
// and RevokedAt, so writing it would record nothing.
var errZeroTime = errors.New("zero time")

// ts is how a time is bound: a timestamptz (PostgreSQL keeps microseconds
// and drops the zone, which the suite allows), or NULL for the zero time.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// list is how a string slice is bound: never NULL, so the column can be
// NOT NULL and a nil slice reads back as an empty one.
func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// blob is how opaque bytes are bound: NULL when empty, which scans back as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// timeCol scans what ts binds, as UTC; NULL is the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*c.t = time.Time{}
	case v.InfinityModifier != pgtype.Finite:
		return errors.New("infinite timestamp")
	default:
		*c.t = v.Time.UTC()
	}
	return nil
}

// hourOf is the SQL for expires_hour of the expiry x: the hour since the
// epoch it falls in. Every statement that writes expires_at writes
// expires_hour with it (migration 0011); Prefill computes the same in Go
// (expiresHour).
func hourOf(x string) string {
	return `floor(date_part('epoch', ` + x + ` - timestamptz 'epoch') / 3600)::integer`
}

// expiresHour is hourOf in Go, for Prefill's COPY: the hour since the
// epoch of t at PostgreSQL's precision, microseconds (as pgx sends t).
func expiresHour(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	const perHour = int64(time.Hour / time.Microsecond)
	us := t.UnixMicro()
	h := us / perHour
	if us%perHour < 0 {
		h-- // floor, not truncation, before the epoch
	}
	return int32(h)
}
