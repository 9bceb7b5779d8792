package sqlite

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tollgate-oidc/tollgate/internal/store"
)

// How records map to columns. Times are INTEGER unix microseconds, NULL for
// the zero time; string lists are JSON arrays.

const (
	grantCols = `g.id, g.client_id, g.subject, g.scopes, g.auth_time, g.session_id, g.amr,
		g.created_at, g.expires_at, g.revoked_at, g.dpop_jkt, g.resources`
	// grantInsertCols are the columns grantArgs binds, in its order.
	grantInsertCols = `(id, client_id, subject, scopes, auth_time, session_id, amr, created_at, expires_at,
		revoked_at, dpop_jkt, resources)`
	// tokenInsertCols are the columns a token's insert binds: grant_id and
	// seq, then tokenArgs.
	tokenInsertCols = `(grant_id, seq, hash, generation, created_at, expires_at, consumed_at, successor_hash, proof_key,
		node, remote_addr, user_agent)`
	// tokenInsertN is how many columns tokenInsertCols names.
	tokenInsertN = 12
	// tokenCols are a token's columns but hash and grant_id, which a
	// lookup by hash knows already (tokenDest).
	tokenCols = `t.generation, t.created_at, t.expires_at, t.consumed_at, t.successor_hash, t.proof_key`
	codeCols  = `hash, client_id, redirect_uri, code_challenge, code_challenge_method, subject, scopes,
		nonce, session_id, amr, auth_time, created_at, expires_at, consumed_at, grant_id, dpop_jkt, resources`
	requestCols = `id, client_id, params, created_at, expires_at, consumed_at`
	sessionCols = `id, sid, subject, auth_time, amr, created_at, expires_at`
	consentCols = `subject, client_id, scopes, created_at, expires_at`
)

func grantArgs(g store.Grant) []any {
	return []any{g.ID, g.ClientID, g.Subject, list(g.Scopes), micros(g.AuthTime), g.SessionID, list(g.AMR),
		micros(g.CreatedAt), micros(g.ExpiresAt), micros(g.RevokedAt), g.DPoPJKT, list(g.Resources)}
}

func grantDest(g *store.Grant) []any {
	return []any{&g.ID, &g.ClientID, &g.Subject, listCol{&g.Scopes}, timeCol{&g.AuthTime}, &g.SessionID,
		listCol{&g.AMR}, timeCol{&g.CreatedAt}, timeCol{&g.ExpiresAt}, timeCol{&g.RevokedAt},
		&g.DPoPJKT, listCol{&g.Resources}}
}

// tokenArgs binds the columns after grant_id and seq, which the store sets.
func tokenArgs(t store.RefreshToken) []any {
	return []any{t.Hash, t.Generation, micros(t.CreatedAt), micros(t.ExpiresAt), micros(t.ConsumedAt), t.SuccessorHash, t.ProofKey,
		t.Node, t.RemoteAddr, t.UserAgent}
}

func tokenDest(t *store.RefreshToken) []any {
	return []any{&t.Generation, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.ConsumedAt}, &t.SuccessorHash, &t.ProofKey}
}

func codeArgs(c store.AuthCode) []any {
	return []any{c.Hash, c.ClientID, c.RedirectURI, c.CodeChallenge, c.CodeChallengeMethod, c.Subject,
		list(c.Scopes), c.Nonce, c.SessionID, list(c.AMR), micros(c.AuthTime), micros(c.CreatedAt),
		micros(c.ExpiresAt), micros(c.ConsumedAt), c.GrantID, c.DPoPJKT, list(c.Resources)}
}

func codeDest(c *store.AuthCode) []any {
	return []any{&c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.CodeChallengeMethod, &c.Subject,
		listCol{&c.Scopes}, &c.Nonce, &c.SessionID, listCol{&c.AMR}, timeCol{&c.AuthTime},
		timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}, timeCol{&c.ConsumedAt}, &c.GrantID,
		&c.DPoPJKT, listCol{&c.Resources}}
}

func requestArgs(r store.AuthRequest) []any {
	return []any{r.ID, r.ClientID, blob(r.Params), micros(r.CreatedAt), micros(r.ExpiresAt), micros(r.ConsumedAt)}
}

func requestDest(r *store.AuthRequest) []any {
	return []any{&r.ID, &r.ClientID, &r.Params, timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt}, timeCol{&r.ConsumedAt}}
}

func sessionArgs(s store.Session) []any {
	return []any{s.ID, s.SID, s.Subject, micros(s.AuthTime), list(s.AMR), micros(s.CreatedAt), micros(s.ExpiresAt)}
}

func sessionDest(s *store.Session) []any {
	return []any{&s.ID, &s.SID, &s.Subject, timeCol{&s.AuthTime}, listCol{&s.AMR}, timeCol{&s.CreatedAt},
		timeCol{&s.ExpiresAt}}
}

func consentArgs(c store.Consent) []any {
	return []any{c.Subject, c.ClientID, list(c.Scopes), micros(c.CreatedAt), micros(c.ExpiresAt)}
}

func consentDest(c *store.Consent) []any {
	return []any{&c.Subject, &c.ClientID, listCol{&c.Scopes}, timeCol{&c.CreatedAt}, timeCol{&c.ExpiresAt}}
}

// blob is how opaque bytes are bound: NULL when empty, which scans back as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// errZeroTime refuses a zero event time: zero means "not yet" in ConsumedAt
// and RevokedAt, so writing it would record nothing.
var errZeroTime = errors.New("zero time")

// micros is how a time is bound: unix microseconds (exact, ordered, and the
// precision PostgreSQL keeps), or NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// list is how a string slice is bound: a JSON array, which keeps any value
// (a space-joined list would split an AMR value that held a space).
func list(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s) // a []string always marshals
	return string(b)
}

// timeCol scans what micros binds, as UTC.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	return nil
}

// listCol scans what list binds; empty comes back nil.
type listCol struct{ s *[]string }

func (c listCol) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v) // the driver may reuse v; the list keeps substrings of s
	default:
		return fmt.Errorf("list column holds %T", v)
	}
	out, ok := plainList(s)
	if !ok {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return fmt.Errorf("list column: %w", err)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	*c.s = out
	return nil
}

// plainList decodes, without encoding/json, what list writes for the lists
// Tollgate keeps (scopes, AMR values): a JSON array of printable ASCII
// strings without escapes, which json.Marshal writes with no spaces. The
// elements are substrings of s. Anything else is not ok, and goes to
// json.Unmarshal. Every lookup of a token scans two lists: this saves
// json.Unmarshal's reflection and about ten allocations per lookup.
func plainList(s string) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return nil, true
	}
	out := make([]string, 0, strings.Count(body, ",")+1)
	for {
		if len(body) < 2 || body[0] != '"' {
			return nil, false
		}
		end := 1
		for ; end < len(body) && body[end] != '"'; end++ {
			if b := body[end]; b == '\\' || b < 0x20 || b >= 0x7f {
				return nil, false
			}
		}
		if end == len(body) {
			return nil, false
		}
		out = append(out, body[1:end])
		body = body[end+1:]
		if body == "" {
			return out, true
		}
		if body[0] != ',' {
			return nil, false
		}
		body = body[1:]
	}
}
